/**
 * One MQTT device's side of the ingest: turns messages on its topics into samples, keeps the
 * last-value cache that read() reports, pushes a point once as bad/`stale` when it falls silent,
 * and holds samples while the sampler is not listening (between a link loss and its reconnect).
 */
import { monotonicOf } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { badSample, type Sample } from '../../core/types.js';
import type { IngestStats } from './ingest-stats.js';
import { type BadInputReason, type DecodedMessage, extractTimestamp, extractValue, parseJsonPath, type ValueRule, valueRuleOf } from './payload.js';
import type { MqttDeviceLike, MqttPoint } from './point.js';
import type { RateLimitedLog } from './rate-limited-log.js';

/** samples held while nobody listens; beyond it the oldest go (the store marks the gap) */
const MAX_HELD = 10_000;

export interface DeviceChannel {
  readonly deviceId: string;
  readonly points: readonly MqttPoint[];
  /** the device's concrete topics */
  readonly topics: readonly string[];
  readonly maxPayloadBytes: number;
  /** A message on one of the device's topics (decoded once by the hub), or why it could not be. */
  accept(topic: string, message: DecodedMessage | BadInputReason, bytes: number, retain: boolean): void;
  /** The cache: one sample per point, in point order (stale and never-heard points not good). */
  current(): Sample[];
  /** Starts delivering (held samples first) and watching for silence; returns the stop function. */
  listen(sink: (samples: Sample[]) => void): () => void;
  /** Restarts every point's silence clock (a fresh connection). */
  restartClocks(): void;
  stop(): void;
}

export interface DeviceChannelOptions {
  stats: IngestStats;
  warn: RateLimitedLog;
  logger: Logger;
  /** wall clock: arrival timestamps */
  now: () => number;
  /** monotonic clock: staleness (default: `now`; see gateway/clock.ts) */
  monoNow?: () => number;
}

interface Slot {
  point: MqttPoint;
  rule: ValueRule;
  last?: Sample;
  /** when the point last got a value (or when listening started), on the monotonic clock */
  heardAt: number;
  staleSent: boolean;
}

export function createDeviceChannel(device: MqttDeviceLike, options: DeviceChannelOptions): DeviceChannel {
  const { stats, warn, now } = options;
  // Silence is elapsed time: a wall-clock step forward must not make every point stale at once.
  const mono = monotonicOf(options);
  const started = mono();
  const slots: Slot[] = device.points.map((point) => ({ point, rule: valueRuleOf(point), heardAt: started, staleSent: false }));
  const byTopic = new Map<string, Slot[]>();
  for (const slot of slots) {
    const list = byTopic.get(slot.point.topic) ?? [];
    list.push(slot);
    byTopic.set(slot.point.topic, list);
  }
  const tsSteps = device.timestampPath === undefined ? undefined : (parseJsonPath(device.timestampPath) ?? [device.timestampPath]);
  const stalePeriods = slots.map((s) => s.point.staleAfterMs).filter((ms) => ms > 0);
  // Check often enough that a point goes stale within ~10 % of its limit.
  const tickMs = stalePeriods.length === 0 ? 0 : Math.min(5000, Math.max(100, Math.floor(Math.min(...stalePeriods) / 10)));

  let sink: ((samples: Sample[]) => void) | undefined;
  let held: Sample[] = [];
  let timer: NodeJS.Timeout | undefined;

  const deliver = (samples: Sample[]) => {
    if (samples.length === 0) return;
    if (sink) return sink(samples);
    held.push(...samples);
    if (held.length > MAX_HELD) held = held.slice(held.length - MAX_HELD);
  };

  const refuse = (reason: BadInputReason, topic: string, point?: MqttPoint) => {
    stats.count(reason);
    warn(`${device.id}:${reason}`, 'mqtt input refused', { device: device.id, point: point?.key, topic, reason });
  };

  const checkSilence = () => {
    const t = now();
    const m = mono();
    const out: Sample[] = [];
    for (const s of slots) {
      const limit = s.point.staleAfterMs;
      if (limit <= 0 || s.staleSent || m - s.heardAt <= limit) continue;
      s.staleSent = true;
      stats.staleEvents += 1;
      out.push(badSample(s.point.id, t, 'stale'));
    }
    deliver(out);
  };

  return {
    deviceId: device.id,
    points: device.points,
    topics: [...byTopic.keys()],
    maxPayloadBytes: device.maxPayloadBytes,
    accept(topic, message, bytes, retain) {
      const targets = byTopic.get(topic);
      if (!targets) return;
      if (retain && device.retained === 'ignore') return;
      if (typeof message === 'string') return refuse(message, topic);
      if (bytes > device.maxPayloadBytes) return refuse('too-large', topic);
      const arrival = now();
      let ts = arrival;
      let tsBad = false;
      let tsFound = false;
      if (tsSteps) {
        const found = extractTimestamp(message, tsSteps, arrival);
        if (found === 'bad') {
          tsBad = true;
          refuse('bad-timestamp', topic);
        } else if (found !== 'absent') {
          ts = found;
          tsFound = true;
        }
      }
      const out: Sample[] = [];
      for (const slot of targets) {
        const got = extractValue(message, slot.rule);
        if ('bad' in got) {
          refuse(got.bad, topic, slot.point);
          continue;
        }
        let sample: Sample = { pointId: slot.point.id, ts, value: got.value, quality: 'good' };
        if (tsBad) sample = { ...sample, quality: 'uncertain', reason: 'bad-timestamp' };
        else if (retain) {
          // A retained value may be hours old: trust it only as far as its own timestamp says.
          const limit = slot.point.staleAfterMs;
          if (!tsFound) sample = { ...sample, quality: 'uncertain', reason: 'retained' };
          else if (limit > 0 && arrival - ts > limit) {
            refuse('retained-stale', topic, slot.point);
            continue;
          }
        }
        slot.last = sample;
        slot.heardAt = mono();
        slot.staleSent = false;
        out.push(sample);
      }
      stats.values += out.length;
      deliver(out);
    },
    current() {
      const t = now();
      const m = mono();
      return slots.map((s) => {
        const limit = s.point.staleAfterMs;
        if (limit > 0 && m - s.heardAt > limit) return badSample(s.point.id, t, 'stale');
        if (!s.last) return { pointId: s.point.id, ts: t, value: null, quality: 'uncertain', reason: 'no-data' };
        return s.last;
      });
    },
    listen(next) {
      sink = next;
      const backlog = held;
      held = [];
      deliver(backlog);
      clearInterval(timer);
      if (tickMs > 0) {
        timer = setInterval(checkSilence, tickMs);
        timer.unref();
      }
      return () => {
        if (sink === next) sink = undefined;
        clearInterval(timer);
        timer = undefined;
      };
    },
    restartClocks() {
      const m = mono();
      for (const s of slots) if (!s.last) s.heardAt = m;
    },
    stop() {
      sink = undefined;
      clearInterval(timer);
      timer = undefined;
    },
  };
}
