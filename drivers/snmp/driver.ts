/**
 * The SNMP driver: one per device, one net-snmp session (one UDP socket) each, so a dead agent
 * only ever delays its own device. read() GETs every point in PDUs of at most `maxVarbinds`
 * varbinds; an agent answering tooBig halves that (down to 1) for the rest of the run and the
 * chunk is asked again. A point the agent does not have (noSuchObject/noSuchInstance/
 * endOfMibView, or v1 noSuchName) is a bad `not-available` sample; no answer at all is a
 * retryable DriverError `timeout`, so the sampler backs off.
 *
 * Traps: the driver is also a PushSource. The site's trap receiver (traps/receiver.ts) finds the
 * device a trap came from and calls
 *
 *     driver.pushTrapValues({ on_battery: true }, ts?)   // returns the keys it set
 *
 * with the trap rule's `set` values: each known key becomes a good sample at once (keys the
 * device does not have are ignored, and not returned). While the sampler is not subscribed (the
 * device is down, or before the first connect), the latest pushed value per point waits and is
 * delivered on the next subscribe.
 *
 * Because it is a PushSource, the sampler does not store what read() returns: read() hands its
 * samples to the subscribed sink itself (and returns them, as every driver does).
 */
import type { Driver, PushSource, Writable } from '../../core/driver.js';
import { DriverError, errorMessage } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { badSample, type PointValue, type Sample } from '../../core/types.js';
import { openSnmpClient, type SnmpClient, SnmpRequestError, SnmpSetRefused } from './client.js';
import { CounterRates, decodeVarbind, isExceptionTag, TAG_OF_TYPE, tagName } from './codec.js';
import type { SnmpConnection, SnmpDeviceConfig } from './device.js';
import type { SnmpPoint } from './point.js';
import { SetRefusal, setVarbind } from './set.js';

/** One agent's request counters (the module's `snmp` health section lists them). */
export interface SnmpAgentStats {
  device: string;
  /** `host:port` */
  agent: string;
  requests: number;
  timeouts: number;
  /** tooBig answers, each of which halved maxVarbinds (or failed a single varbind) */
  tooBigHalvings: number;
  /** varbinds per GET now (the configured value until a tooBig halves it) */
  maxVarbinds: number;
  /** trap values pushed as samples */
  trapValues: number;
  lastError?: string;
}

export interface SnmpDriver extends Driver, PushSource, Writable {
  readonly device: SnmpDeviceConfig;
  /** Pushes a trap rule's `set` values as good samples now; returns the keys it set. */
  pushTrapValues(values: Readonly<Record<string, PointValue>>, ts?: number): string[];
  stats(): SnmpAgentStats;
}

export interface SnmpDriverDeps {
  logger?: Logger;
  now?: () => number;
  /** how a session is opened (tests substitute nothing here but may wrap it to count requests) */
  openClient?: (connection: SnmpConnection) => SnmpClient;
}

export function snmpLinkId(conn: Pick<SnmpConnection, 'host' | 'port'>): string {
  return `snmp:${conn.host}:${conn.port}`;
}

export function createSnmpDriver(device: SnmpDeviceConfig, deps: SnmpDriverDeps = {}): SnmpDriver {
  const conn = device.connection;
  const agent = `${conn.host.includes(':') ? `[${conn.host}]` : conn.host}:${conn.port}`;
  const log = (deps.logger ?? silentLogger).child({ device: device.id });
  const now = deps.now ?? Date.now;
  const open = deps.openClient ?? openSnmpClient;
  const rates = new CounterRates();
  const byKey = new Map(device.points.map((p) => [p.key, p]));
  const stats: SnmpAgentStats = {
    device: device.id,
    agent,
    requests: 0,
    timeouts: 0,
    tooBigHalvings: 0,
    maxVarbinds: conn.maxVarbinds,
    trapValues: 0,
  };
  let client: SnmpClient | undefined;
  let closed = false;
  let sink: ((samples: Sample[]) => void) | undefined;
  const waiting = new Map<string, Sample>();
  /** the syntax the agent reported for points without `type`, learnt at their first write */
  const syntaxes = new Map<string, number>();

  const fail = (message: string, reason: string, cause?: unknown) => {
    stats.lastError = message;
    return new DriverError(`${device.id}: ${message}`, device.id, reason, true, cause === undefined ? undefined : { cause });
  };

  const deliver = (samples: Sample[]) => {
    if (samples.length === 0) return;
    if (sink) sink(samples);
    else for (const s of samples) waiting.set(s.pointId, s);
  };

  /** GETs the points at these positions into `out`, halving PDUs on tooBig. */
  async function readAll(points: readonly SnmpPoint[], signal: AbortSignal, out: Sample[]): Promise<void> {
    let pending = points.map((_, i) => i);
    while (pending.length > 0) {
      const chunk = pending.slice(0, stats.maxVarbinds);
      const oids = chunk.map((i) => points[i]!.oid);
      let varbinds: Awaited<ReturnType<SnmpClient['get']>>;
      try {
        stats.requests += 1;
        varbinds = await client!.get(oids, signal);
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (!(err instanceof SnmpRequestError)) throw fail(errorMessage(err), 'comm', err);
        switch (err.kind) {
          case 'tooBig':
            stats.tooBigHalvings += 1;
            if (chunk.length === 1) {
              // one value the agent cannot fit in a message: that point only
              out[chunk[0]!] = badSample(points[chunk[0]!]!.id, now(), 'not-available');
              pending = pending.slice(1);
            } else {
              stats.maxVarbinds = Math.max(1, Math.floor(chunk.length / 2));
              log.warn('agent answered tooBig: fewer varbinds per request', { maxVarbinds: stats.maxVarbinds });
            }
            continue;
          case 'noSuchName': {
            // SNMPv1 fails the whole PDU for one unknown OID: mark that one and ask again
            const at = err.oid === undefined ? -1 : oids.indexOf(err.oid);
            const gone = at >= 0 ? [chunk[at]!] : chunk;
            for (const i of gone) out[i] = badSample(points[i]!.id, now(), 'not-available');
            pending = pending.filter((i) => !gone.includes(i));
            continue;
          }
          case 'timeout':
            stats.timeouts += 1;
            throw fail(`no answer from ${agent} within ${conn.timeoutMs * (conn.retries + 1)} ms`, 'timeout', err);
          case 'aborted':
            throw signal.reason ?? err;
          default:
            throw fail(`${agent}: ${err.message}`, 'comm', err);
        }
      }
      if (varbinds.length !== chunk.length) {
        throw fail(`${agent} answered ${varbinds.length} varbinds for ${chunk.length} requested`, 'comm');
      }
      const ts = now();
      chunk.forEach((i, n) => {
        out[i] = decodeVarbind(points[i]!, varbinds[n]!, ts, rates);
      });
      pending = pending.slice(chunk.length);
    }
  }

  /** A write the agent (or the map) refused: the point's problem, not the link's, so not retryable. */
  const refused = (point: Pick<SnmpPoint, 'key'>, message: string, reason: string) =>
    new DriverError(`${device.id}: ${point.key}: ${message}`, device.id, reason, false);

  /** A failed GET or SET of a write as a DriverError. */
  const writeFailure = (point: SnmpPoint, err: unknown, signal: AbortSignal): unknown => {
    if (signal.aborted) return signal.reason;
    if (err instanceof SnmpSetRefused) return refused(point, `${agent} refused the SET (${err.message})`, err.status);
    if (!(err instanceof SnmpRequestError)) return fail(errorMessage(err), 'comm', err);
    switch (err.kind) {
      case 'timeout':
        stats.timeouts += 1;
        return fail(`no answer from ${agent} within ${conn.timeoutMs * (conn.retries + 1)} ms`, 'timeout', err);
      case 'noSuchName':
        return refused(point, `${agent} has no ${point.oid} (noSuchName)`, 'noSuchName');
      case 'auth':
        return fail(`${agent}: ${err.message}`, 'auth', err);
      default:
        return fail(`${agent}: ${err.message}`, 'comm', err);
    }
  };

  /** The point's SNMP syntax: as configured, or as the agent reports it (one GET, remembered). */
  async function syntaxOf(point: SnmpPoint, signal: AbortSignal): Promise<number> {
    if (point.type) return TAG_OF_TYPE[point.type];
    const known = syntaxes.get(point.id);
    if (known !== undefined) return known;
    stats.requests += 1;
    const [vb] = await client!.get([point.oid], signal).catch((err: unknown) => {
      throw writeFailure(point, err, signal);
    });
    if (!vb || isExceptionTag(vb.type)) throw refused(point, `${agent} has no ${point.oid} (${vb ? tagName(vb.type) : 'no answer'})`, vb ? tagName(vb.type) : 'comm');
    syntaxes.set(point.id, vb.type);
    return vb.type;
  }

  async function write(pointId: string, value: Parameters<Writable['write']>[1], signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const point = device.points.find((p) => p.id === pointId);
    if (!point) throw refused({ key: pointId }, 'no such point on this device', 'config');
    if (closed) throw new DriverError(`${device.id}: driver is closed`, device.id, 'comm', false);
    if (!client) throw fail('not connected', 'comm');
    let varbind: ReturnType<typeof setVarbind>;
    try {
      varbind = setVarbind(point, await syntaxOf(point, signal), value);
    } catch (err) {
      if (err instanceof SetRefusal) throw refused(point, `not sent: ${err.message}`, err.reason);
      throw err;
    }
    stats.requests += 1;
    await client.set([varbind], signal).catch((err: unknown) => {
      throw writeFailure(point, err, signal);
    });
  }

  return {
    deviceId: device.id,
    linkId: snmpLinkId(conn),
    device,

    async connect(signal) {
      signal.throwIfAborted();
      if (closed) throw new DriverError(`${device.id}: driver is closed`, device.id, 'comm', false);
      client ??= open(conn);
    },

    async read(signal) {
      signal.throwIfAborted();
      if (closed) throw new DriverError(`${device.id}: driver is closed`, device.id, 'comm', false);
      if (!client) throw fail('not connected', 'comm');
      const out: Sample[] = new Array(device.points.length);
      await readAll(device.points, signal, out);
      if (signal.aborted) throw signal.reason;
      if (sink) sink(out);
      return out;
    },

    async reset() {
      client?.close();
      client = undefined;
    },

    async close() {
      closed = true;
      client?.close();
      client = undefined;
      sink = undefined;
    },

    subscribe(next) {
      sink = next;
      if (waiting.size > 0) {
        const held = [...waiting.values()];
        waiting.clear();
        next(held);
      }
      return () => {
        if (sink === next) sink = undefined;
      };
    },

    pushTrapValues(values, ts = now()) {
      const samples: Sample[] = [];
      for (const [key, value] of Object.entries(values)) {
        const point = byKey.get(key);
        if (!point || value === null) continue;
        samples.push({ pointId: point.id, ts, value, quality: 'good' });
      }
      stats.trapValues += samples.length;
      if (!closed) deliver(samples);
      return samples.map((s) => s.pointId.slice(device.id.length + 1));
    },

    stats: () => ({ ...stats }),

    write,
  };
}
