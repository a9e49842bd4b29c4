/**
 * Messages from a site's existing broker (mqtt.js 5). A stable client id with clean session off
 * and QoS 1 subscriptions makes the broker queue what arrives while the gateway is away. After a
 * reconnect without a kept session (a restarted broker without persistence), it subscribes again.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { errorMessage } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import type { IncomingMessage, MessageSource, SourceStatus } from './message-source.js';
import type { MqttConnection } from './point.js';

export interface ExternalSourceOptions {
  connection: MqttConnection;
  /** the client id when the connection names none */
  clientId: string;
  logger?: Logger;
  /** delay between reconnect attempts (default 1000 ms) */
  reconnectMs?: number;
}

/** The URL without credentials, for logs and the health API. */
export function describeBrokerUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'mqtt://?';
  }
}

export function createExternalSource(options: ExternalSourceOptions): MessageSource {
  const { connection } = options;
  const link = describeBrokerUrl(connection.url);
  const log = (options.logger ?? silentLogger).child({ broker: link });
  let client: MqttClient | undefined;
  let filters: readonly string[] = [];
  let handler: ((m: IncomingMessage) => void) | undefined;
  let up = false;
  let firstConnect = true;
  let closed = false;
  const counters = { connects: 0, disconnects: 0, messages: 0 };
  let lastError: string | null = null;
  const waiters = new Set<() => void>();

  const markUp = () => {
    up = true;
    for (const w of waiters) w();
    waiters.clear();
  };

  const subscribeAll = (c: MqttClient) => {
    if (filters.length === 0) return markUp();
    c.subscribe([...filters], { qos: 1 }, (err, granted) => {
      if (err) {
        lastError = `subscribe failed: ${errorMessage(err)}`;
        log.warn('mqtt subscribe failed', { error: lastError });
        return;
      }
      const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length > 0) {
        lastError = `the broker refused the subscription to ${refused.join(', ')}`;
        log.error('mqtt subscription refused by the broker (check its ACL)', { filters: refused.join(', ') });
      }
      markUp();
    });
  };

  const start = () => {
    const opts: IClientOptions = {
      protocolVersion: 4,
      clientId: connection.clientId ?? options.clientId,
      clean: false,
      keepalive: connection.keepaliveS,
      connectTimeout: connection.connectTimeoutMs,
      reconnectPeriod: options.reconnectMs ?? 1000,
      // We subscribe ourselves on every connect without a kept session (see subscribeAll).
      resubscribe: false,
    };
    if (connection.username !== undefined) opts.username = connection.username;
    if (connection.password !== undefined) opts.password = connection.password.reveal();
    if (connection.ca !== undefined) opts.ca = readFileSync(connection.ca);
    const c = mqtt.connect(connection.url, opts);
    c.on('connect', (connack) => {
      counters.connects += 1;
      lastError = null;
      if (counters.connects > 1) log.info('mqtt broker connection back', { sessionPresent: connack.sessionPresent });
      if (firstConnect || !connack.sessionPresent) subscribeAll(c);
      else markUp();
      firstConnect = false;
    });
    c.on('close', () => {
      if (up) {
        counters.disconnects += 1;
        log.warn('mqtt broker connection lost; reconnecting', { error: lastError });
      }
      up = false;
    });
    c.on('error', (err) => {
      lastError = errorMessage(err);
    });
    c.on('message', (topic, payload, packet) => {
      counters.messages += 1;
      handler?.({ topic, payload, retain: packet.retain });
    });
    return c;
  };

  return {
    link,
    async open(wanted, onMessage, signal) {
      signal.throwIfAborted();
      if (closed) throw new Error('the MQTT source is closed');
      if (!client) {
        filters = wanted;
        handler = onMessage;
        try {
          client = start();
        } catch (err) {
          lastError = errorMessage(err);
          throw err;
        }
      }
      if (up) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`no connection to ${link} within ${connection.connectTimeoutMs} ms${lastError ? ` (${lastError})` : ''}`)), connection.connectTimeoutMs);
        const onAbort = () => done(signal.reason);
        const ready = () => done();
        const done = (err?: unknown) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          waiters.delete(ready);
          if (err === undefined) resolve();
          else reject(err);
        };
        waiters.add(ready);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    isUp: () => up,
    async publish(topic, payload, signal) {
      signal.throwIfAborted();
      const c = client;
      // mqtt.js would queue it until a reconnect: a command must not run late, so refuse now
      if (!c || !up) throw new Error(`no connection to ${link}`);
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        c.publish(topic, payload, { qos: 1, retain: false }, (err) => {
          signal.removeEventListener('abort', onAbort);
          if (err) reject(err);
          else resolve();
        });
      });
    },
    status: (): SourceStatus => ({ link, connected: up, ...counters, lastError }),
    async close() {
      closed = true;
      up = false;
      const c = client;
      client = undefined;
      if (c) await c.endAsync(true).catch(() => undefined);
    },
  };
}
