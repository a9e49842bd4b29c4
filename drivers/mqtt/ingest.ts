/**
 * The MQTT ingest: one connection per broker (the embedded one, or each external URL and user),
 * shared by every device on it. Each connection subscribes to the merged filters of its devices
 * once, decodes each message once and hands it to the devices whose topics it is on. A message
 * on no device's topic is counted as `unknown-topic`.
 */
import { createHash } from 'node:crypto';
import { monotonicOf } from '../../core/clock.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { createDeviceChannel, type DeviceChannel } from './device-channel.js';
import type { EmbeddedBroker } from './embedded-broker.js';
import { createEmbeddedSource, EMBEDDED_LINK } from './embedded-source.js';
import { createExternalSource, describeBrokerUrl } from './external-source.js';
import { createIngestStats, type IngestCounters } from './ingest-stats.js';
import type { IncomingMessage, MessageSource, SourceStatus } from './message-source.js';
import { decodeMessage } from './payload.js';
import type { MqttConnection, MqttDeviceLike } from './point.js';
import { createTokenBucket, POINT_BURST_S, type TokenBucket } from './rate-limits.js';
import { createRateLimitedLog } from './rate-limited-log.js';
import { mergeFilters } from './topic.js';

export interface MqttIngestOptions {
  devices: readonly MqttDeviceLike[];
  /** the embedded broker; devices without a connection use it */
  broker?: Pick<EmbeddedBroker, 'subscribe' | 'isRunning'> & Partial<Pick<EmbeddedBroker, 'publish'>>;
  /** names the default client id on external brokers */
  gatewayId: string;
  logger?: Logger;
  /** wall clock: the samples' arrival time */
  now?: () => number;
  /** monotonic clock: the rate limits (default performance.now; see gateway/clock.ts) */
  monoNow?: () => number;
  /** opens an external connection (tests may pass a fake) */
  openExternal?: (connection: MqttConnection, clientId: string, logger: Logger) => MessageSource;
  /** external reconnect delay (default 1000 ms) */
  reconnectMs?: number;
}

export interface MqttIngestHealth {
  links: SourceStatus[];
  ingest: IngestCounters;
}

export interface MqttLink {
  readonly link: string;
  /** Joins the device to its connection, opening it if needed; resolves when messages flow. */
  acquire(deviceId: string, signal: AbortSignal): Promise<void>;
  /** The last device out closes the connection. */
  release(deviceId: string): Promise<void>;
  isUp(): boolean;
  /** A device command on this connection (see MessageSource.publish); rejects while it is down. */
  publish(topic: string, payload: Buffer, signal: AbortSignal): Promise<void>;
}

export interface MqttIngest {
  channel(deviceId: string): DeviceChannel;
  linkOf(deviceId: string): MqttLink;
  health(): MqttIngestHealth;
  close(): Promise<void>;
}

function connectionKey(c: MqttConnection | undefined): string {
  if (!c) return EMBEDDED_LINK;
  return JSON.stringify([c.url, c.username ?? '', c.clientId ?? '']);
}

/** Stable across restarts (the broker keys the kept session on it) and ≤ 23 characters (MQTT 3.1.1). */
export function defaultClientId(gatewayId: string, key: string): string {
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 6);
  return `gw-${gatewayId.slice(0, 13)}-${hash}`;
}

export function createMqttIngest(options: MqttIngestOptions): MqttIngest {
  const log = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const mono = monotonicOf(options);
  const stats = createIngestStats();
  const warn = createRateLimitedLog(log, 60_000, now);
  const channels = new Map<string, DeviceChannel>();
  const groups = new Map<string, MqttDeviceLike[]>();
  for (const device of options.devices) {
    channels.set(device.id, createDeviceChannel(device, { stats, warn, logger: log, now, monoNow: mono }));
    const key = connectionKey(device.connection);
    groups.set(key, [...(groups.get(key) ?? []), device]);
  }
  const links = new Map<string, ReturnType<typeof createLink>>();
  const linkByDevice = new Map<string, ReturnType<typeof createLink>>();
  for (const [key, devices] of groups) {
    const link = createLink(key, devices);
    links.set(key, link);
    for (const d of devices) linkByDevice.set(d.id, link);
  }

  function createLink(key: string, devices: readonly MqttDeviceLike[]) {
    const connection = devices[0]!.connection;
    const byTopic = new Map<string, DeviceChannel[]>();
    const maxBytes = new Map<string, number>();
    /** messages per second a topic may bring; 0: no limit (a device on it wants every message) */
    const rateOf = new Map<string, number>();
    for (const d of devices) {
      const ch = channels.get(d.id)!;
      const rate = d.pointRateLimit ?? 0;
      for (const topic of ch.topics) {
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), ch]);
        maxBytes.set(topic, Math.max(maxBytes.get(topic) ?? 0, d.maxPayloadBytes));
        const known = rateOf.get(topic);
        rateOf.set(topic, known === undefined ? rate : known === 0 || rate === 0 ? 0 : Math.max(known, rate));
      }
    }
    const buckets = new Map<string, TokenBucket>();
    /** Whether the topic is within its rate; checked before the payload is even decoded. */
    const withinRate = (topic: string): boolean => {
      const rate = rateOf.get(topic) ?? 0;
      if (rate <= 0) return true;
      let bucket = buckets.get(topic);
      if (!bucket) {
        bucket = createTokenBucket(rate, Math.max(1, Math.ceil(rate * POINT_BURST_S)), mono());
        buckets.set(topic, bucket);
      }
      return bucket.take(mono());
    };
    const filters = mergeFilters(devices.flatMap((d) => d.points.map((p) => p.filter)));
    const holders = new Set<string>();
    let source: MessageSource | undefined;
    let lastStatus: SourceStatus | undefined;
    const newSource = (): MessageSource => {
      if (!connection) {
        if (!options.broker) throw new Error('the embedded broker is not running (set mqttBroker.enabled: true)');
        return createEmbeddedSource(options.broker);
      }
      const clientId = defaultClientId(options.gatewayId, key);
      const linkLog = log.child({ component: 'mqtt' });
      return options.openExternal
        ? options.openExternal(connection, clientId, linkLog)
        : createExternalSource({ connection, clientId, logger: linkLog, reconnectMs: options.reconnectMs ?? 1000 });
    };
    const onMessage = (m: IncomingMessage) => {
      stats.messages += 1;
      if (m.retain) stats.retained += 1;
      // broker housekeeping ($SYS/...) is not sensor data
      if (m.topic.startsWith('$')) return;
      const targets = byTopic.get(m.topic);
      if (!targets) {
        stats.count('unknown-topic');
        warn(`topic:${m.topic}`, 'mqtt message on a topic no point listens to', { topic: m.topic.slice(0, 200) });
        return;
      }
      if (!withinRate(m.topic)) {
        stats.count('rate-limited');
        warn(`rate:${m.topic}`, 'mqtt point publishes faster than its pointRateLimit: extra messages refused', {
          topic: m.topic.slice(0, 200),
          limitPerS: rateOf.get(m.topic),
        });
        return;
      }
      const limit = maxBytes.get(m.topic)!;
      const decoded = decodeMessage(m.payload, limit);
      for (const ch of targets) ch.accept(m.topic, decoded, m.payload.byteLength, m.retain);
    };
    return {
      key,
      get source() {
        return source;
      },
      status(): SourceStatus | undefined {
        return source?.status() ?? lastStatus;
      },
      async acquire(deviceId: string, signal: AbortSignal) {
        holders.add(deviceId);
        source ??= newSource();
        const s = source;
        await s.open(filters, onMessage, signal);
        channels.get(deviceId)?.restartClocks();
      },
      async release(deviceId: string) {
        holders.delete(deviceId);
        if (holders.size > 0 || !source) return;
        const s = source;
        source = undefined;
        lastStatus = s.status();
        await s.close();
      },
      isUp: () => source?.isUp() ?? false,
    };
  }

  return {
    channel(deviceId) {
      const ch = channels.get(deviceId);
      if (!ch) throw new Error(`no MQTT device "${deviceId}" in this ingest`);
      return ch;
    },
    linkOf(deviceId) {
      const link = linkByDevice.get(deviceId);
      if (!link) throw new Error(`no MQTT device "${deviceId}" in this ingest`);
      const connection = groups.get(link.key)![0]!.connection;
      // credentials in a URL must not end up in a link id
      const id = connection ? `mqtt:${describeBrokerUrl(connection.url)}#${defaultClientId('', link.key).slice(-6)}` : `mqtt:${EMBEDDED_LINK}`;
      return {
        link: id,
        acquire: (id, signal) => link.acquire(id, signal),
        release: (id) => link.release(id),
        isUp: () => link.isUp(),
        publish: async (topic, payload, signal) => {
          const s = link.source;
          if (!s?.isUp()) throw new Error('no connection to the MQTT broker');
          await s.publish(topic, payload, signal);
        },
      };
    },
    health() {
      const statuses = [...links.values()].flatMap((l) => {
        const s = l.status();
        return s ? [s] : [];
      });
      return { links: statuses, ingest: stats.snapshot() };
    },
    async close() {
      for (const ch of channels.values()) ch.stop();
      await Promise.all(
        [...links.values()].map(async (l) => {
          const s = l.source;
          if (s) await s.close();
        }),
      );
    },
  };
}
