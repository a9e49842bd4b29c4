/**
 * The gateway as the site's MQTT broker (aedes 1.x, MQTT 3.1.1): a plain listener, an optional
 * TLS listener, per-user passwords and publish prefixes, and counters for the health API. The
 * ingest driver subscribes in-process (no loopback socket); sensors connect over the network.
 */
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import { errorMessage, GatewayError } from '../../gateway/errors.js';
import { type Logger, silentLogger } from '../../gateway/logger.js';
import { createBrokerAccess } from './broker-auth.js';
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
  const usernames = new WeakMap<Client, string | null>();
  const stats: Omit<BrokerStats, 'clients'> = {
    connects: 0,
    authFailures: 0,
    publishRefused: 0,
    subscribeRefused: 0,
    messagesIn: 0,
    bytesIn: 0,
    clientErrors: 0,
  };
  const remote = (client: Client) => {
    const conn = client.conn as { remoteAddress?: string };
    return conn.remoteAddress ?? 'in-process';
  };

  const broker = await Aedes.createBroker({
    // A frozen subscriber must not stall delivery to everyone else for long.
    drainTimeout: 10_000,
    authenticate(client, username, password, done) {
      access.authenticate(username, password).then(
        (result) => {
          if (result.ok) {
            usernames.set(client, result.username);
            return done(null, true);
          }
          stats.authFailures += 1;
          warn(`auth:${username ?? ''}`, 'mqtt login refused', { username: username ?? null, client: client.id, from: remote(client), why: result.why });
          const err = Object.assign(new Error(result.why), { returnCode: result.code });
          done(err, false);
        },
        (err: unknown) => done(Object.assign(new Error(errorMessage(err)), { returnCode: 3 as const }), false),
      );
    },
    authorizePublish(client, packet, done) {
      if (!client) return done(null);
      const username = usernames.get(client) ?? null;
      if (!access.mayPublish(username, packet.topic)) {
        stats.publishRefused += 1;
        warn(`acl:${username ?? ''}`, 'mqtt publish refused: outside the user\'s topics', { username, client: client.id, topic: packet.topic });
        return done(new Error(`not allowed to publish to ${packet.topic}`));
      }
      stats.messagesIn += 1;
      stats.bytesIn += packet.payload.length;
      done(null);
    },
    authorizeSubscribe(client, subscription, done) {
      const username = usernames.get(client) ?? null;
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
  try {
    const plain = createNetServer((socket) => broker.handle(socket));
    servers.push(plain);
    port = await listen(plain, config.port, config.host);
    if (config.tls) {
      let secure: Server;
      try {
        secure = createTlsServer({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }, (socket) => broker.handle(socket));
      } catch (err) {
        throw new GatewayError(`mqttBroker.tls: cannot load the certificate or key (${errorMessage(err)})`, { cause: err });
      }
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
    stats: () => ({ clients: broker.connectedClients, ...stats }),
    isRunning: () => !closed,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...servers.map(closeServer), closeBroker()]);
    },
  };
}
