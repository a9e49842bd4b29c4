/**
 * The gateway as the site's MQTT broker (aedes 1.x, MQTT 3.1.1): a plain listener, an optional
 * TLS listener, per-user passwords and publish prefixes, and counters for the health API. The
 * ingest driver subscribes in-process (no loopback socket); sensors connect over the network.
 *
 * Bounded for a LAN where anyone may connect: connections in total and per address, packet size
 * before login (the CONNECT) and after (packet-guard.ts), clientId length, a clientId owned by one
 * user at a time, and a backoff on password guessing (login-throttle.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import { errorMessage, GatewayError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { createBrokerAccess } from './broker-auth.js';
import { type BrokerUsersChange, replaceBrokerUsers } from './broker-users.js';
import { createBrokerLogin } from './broker-login.js';
import { DEFAULT_BROKER_LIMITS, defaultMaxPacketBytes } from './broker-limits.js';
import { createClientThrottle } from './client-throttle.js';
import { createConnectionLimits } from './connection-limits.js';
import { createLoginThrottle, DEFAULT_LOGIN_BACKOFF } from './login-throttle.js';
import { type GuardedConnection, guardConnection } from './packet-guard.js';
import type { MqttBrokerSection } from './point.js';
import { createRateLimitedLog } from './rate-limited-log.js';

export interface BrokerMessage {
  topic: string;
  payload: Buffer;
  /** true only for a retained message handed over when the subscription starts */
  retain: boolean;
}

export interface BrokerStats {
  /** clients connected now */
  clients: number;
  /** successful connects since start */
  connects: number;
  authFailures: number;
  /** publishes refused by the ACL (the client was disconnected) */
  publishRefused: number;
  subscribeRefused: number;
  /** messages clients published (accepted) */
  messagesIn: number;
  bytesIn: number;
  /** client errors: protocol violations, dropped connections */
  clientErrors: number;
  /** TCP connections refused by maxConnections / maxConnectionsPerAddress */
  connectionsRefused: number;
  /** connections closed for a packet over maxConnectBytes (before login) or maxPacketBytes */
  oversizedPackets: number;
  /** connects refused by the password backoff (no password was checked) */
  loginThrottled: number;
  /** addresses / usernames waiting out a password backoff now */
  throttledAddresses: number;
  throttledUsernames: number;
  /** connects refused for a clientId too long or in use by another user */
  clientIdRefused: number;
  /** publishes held back (client over clientRateLimit, or past its turn): delayed, not lost */
  publishThrottled: number;
}

export interface EmbeddedBroker {
  /** the plain listener's port (the real one when the config asked for 0); null when off */
  readonly port: number | null;
  readonly tlsPort: number | null;
  /** In-process subscription; first hands over the retained messages that match. */
  subscribe(filter: string, deliver: (message: BrokerMessage) => void): Promise<() => Promise<void>>;
  /** In-process publish (the sensor simulator, tests); bypasses the ACL. */
  publish(topic: string, payload: string | Buffer, options?: { retain?: boolean; qos?: 0 | 1 }): Promise<void>;
  stats(): BrokerStats;
  /** A live config change of the users and anonymous rules (broker-users.ts). */
  replaceUsers(section: Pick<MqttBrokerSection, 'users' | 'allowAnonymous' | 'anonymousPublish'>): Promise<BrokerUsersChange>;
  isRunning(): boolean;
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  /** the broker section with file paths already resolved */
  config: MqttBrokerSection;
  logger?: Logger;
}

/** The part of aedes' persistence we read (not in its type declarations). */
interface RetainedStore {
  persistence: { createRetainedStream(filter: string): AsyncIterable<AedesPublishPacket> };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { config } = options;
  const log = options.logger ?? silentLogger;
  const warn = createRateLimitedLog(log);
  const access = createBrokerAccess(config);
  const maxConnectBytes = config.maxConnectBytes ?? DEFAULT_BROKER_LIMITS.maxConnectBytes;
  const maxPacketBytes = config.maxPacketBytes ?? defaultMaxPacketBytes();
  const limits = createConnectionLimits(
    config.maxConnections ?? DEFAULT_BROKER_LIMITS.maxConnections,
    config.maxConnectionsPerAddress ?? DEFAULT_BROKER_LIMITS.maxConnectionsPerAddress,
  );
  // One flooding client must not starve the others or the event loop: past its rate, or past a
  // turn's share, the broker stops reading it for a while (client-throttle.ts).
  const publishTurns = createClientThrottle({ ratePerS: config.clientRateLimit ?? 0 });
  const stats: Omit<BrokerStats, 'clients' | 'throttledAddresses' | 'throttledUsernames' | 'publishThrottled'> = {
    connects: 0,
    authFailures: 0,
    publishRefused: 0,
    subscribeRefused: 0,
    messagesIn: 0,
    bytesIn: 0,
    clientErrors: 0,
    connectionsRefused: 0,
    oversizedPackets: 0,
    loginThrottled: 0,
    clientIdRefused: 0,
  };
  await access.ready();
  const remote = (client: Client) => {
    const conn = client.conn as { remoteAddress?: string };
    return conn.remoteAddress ?? 'in-process';
  };
  const throttle = createLoginThrottle(config.loginBackoff ?? DEFAULT_LOGIN_BACKOFF);
  const login = createBrokerLogin({
    access,
    throttle,
    maxClientIdLength: config.maxClientIdLength ?? DEFAULT_BROKER_LIMITS.maxClientIdLength,
    counters: stats,
    warn,
    remote,
  });

  const broker = await Aedes.createBroker({
    // A frozen subscriber must not stall delivery to everyone else for long.
    drainTimeout: 10_000,
    // a connection that never logs in holds a connection slot: free it sooner than aedes' 30 s
    connectTimeout: 10_000,
    preConnect: login.preConnect,
    authenticate: login.authenticate,
    authorizePublish(client, packet, done) {
      if (!client) return done(null);
      const username = login.usernameOf(client);
      if (!access.mayPublish(username, packet.topic)) {
        stats.publishRefused += 1;
        warn(`acl:${username ?? ''}`, 'mqtt publish refused: outside the user\'s topics', { username, client: client.id, topic: packet.topic });
        return done(new Error(`not allowed to publish to ${packet.topic}`));
      }
      stats.messagesIn += 1;
      stats.bytesIn += packet.payload.length;
      publishTurns.admit(client, () => done(null));
    },
    authorizeSubscribe(client, subscription, done) {
      const username = login.usernameOf(client);
      if (access.maySubscribe(username, subscription.topic)) return done(null, subscription);
      stats.subscribeRefused += 1;
      warn(`acl-sub:${username ?? ''}`, 'mqtt subscribe refused', { username, client: client.id, filter: subscription.topic });
      // a negated subscription: SUBACK 0x80, the client stays connected
      done(null, null);
    },
  });
  broker.on('client', () => {
    stats.connects += 1;
  });
  broker.on('clientError', (client, err) => {
    stats.clientErrors += 1;
    log.debug('mqtt client error', { client: client.id, error: err.message });
  });
  broker.on('connectionError', (_client, err) => {
    stats.clientErrors += 1;
    log.debug('mqtt connection error', { error: err.message });
  });

  const servers: Server[] = [];
  let port: number | null = null;
  let tlsPort: number | null = null;
  const closeBroker = () => new Promise<void>((resolve) => broker.close(() => resolve()));
  /** counts a new TCP connection, or closes it at once when over a limit */
  const admit = (socket: Socket): boolean => {
    const address = socket.remoteAddress ?? 'unknown';
    const release = limits.admit(address);
    if (!release) {
      stats.connectionsRefused += 1;
      warn(`conn-limit:${address}`, 'mqtt connection refused: too many connections', { from: address, open: limits.open() });
      socket.destroy();
      return false;
    }
    socket.once('close', release);
    return true;
  };
  const serve = (socket: Socket) => {
    if (socket.destroyed) return;
    const conn: GuardedConnection = guardConnection(socket, {
      // before login only the CONNECT may come: a few KB; after it, the full packet size
      limit: () => (login.isLoggedIn(conn) ? maxPacketBytes : maxConnectBytes),
      onRefused: (verdict) => {
        stats.oversizedPackets += 1;
        const from = socket.remoteAddress ?? 'unknown';
        const why = verdict.malformed ? 'malformed packet length' : login.isLoggedIn(conn) ? 'packet over maxPacketBytes' : 'packet before login over maxConnectBytes';
        warn(`size:${from}`, `mqtt connection closed: ${why}`, { from, declared: verdict.declared, limit: verdict.limit });
      },
    });
    broker.handle(conn);
  };
  try {
    const plain = createNetServer((socket) => {
      if (admit(socket)) serve(socket);
    });
    servers.push(plain);
    port = await listen(plain, config.port, config.host);
    if (config.tls) {
      let secure: Server;
      try {
        secure = createTlsServer({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }, serve);
      } catch (err) {
        throw new GatewayError(`mqttBroker.tls: cannot load the certificate or key (${errorMessage(err)})`, { cause: err });
      }
      // counted on the raw TCP connection, before the TLS handshake costs anything
      secure.prependListener('connection', (socket: Socket) => {
        admit(socket);
      });
      servers.push(secure);
      tlsPort = await listen(secure, config.tls.port, config.host);
    }
  } catch (err) {
    await Promise.all(servers.map((s) => closeServer(s).catch(() => undefined)));
    await closeBroker();
    if (err instanceof GatewayError) throw err;
    throw new GatewayError(`mqttBroker: cannot listen on ${config.host}:${config.port} (${errorMessage(err)})`, { cause: err });
  }

  let closed = false;
  return {
    port,
    tlsPort,
    async subscribe(filter, deliver) {
      const handler = (packet: AedesPublishPacket, cb: () => void) => {
        try {
          deliver({ topic: packet.topic, payload: packet.payload as Buffer, retain: false });
        } finally {
          cb();
        }
      };
      await new Promise<void>((resolve) => broker.subscribe(filter, handler, () => resolve()));
      for await (const packet of (broker as unknown as RetainedStore).persistence.createRetainedStream(filter)) {
        deliver({ topic: packet.topic, payload: packet.payload as Buffer, retain: true });
      }
      return () => new Promise<void>((resolve) => broker.unsubscribe(filter, handler, () => resolve()));
    },
    publish(topic, payload, opts = {}) {
      const buf = typeof payload === 'string' ? Buffer.from(payload) : payload;
      return new Promise((resolve, reject) =>
        broker.publish(
          { cmd: 'publish', topic, payload: buf, qos: opts.qos ?? 0, retain: opts.retain ?? false, dup: false },
          (err) => (err ? reject(err) : resolve()),
        ),
      );
    },
    stats: () => {
      const t = throttle.stats();
      return {
        clients: broker.connectedClients,
        ...stats,
        throttledAddresses: t.blockedAddresses,
        throttledUsernames: t.blockedUsernames,
        publishThrottled: publishTurns.held(),
      };
    },
    replaceUsers: (section) => replaceBrokerUsers({ access, login, logger: log }, section),
    isRunning: () => !closed,
    async close() {
      if (closed) return;
      closed = true;
      publishTurns.close();
      await Promise.all([...servers.map(closeServer), closeBroker()]);
    },
  };
}
