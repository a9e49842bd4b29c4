/**
 * The OPC UA driver: one session per device. `poll` mode reads every point in one batched Read
 * per poll; `subscribe` mode pushes monitored-item changes to the sampler and keeps a last-value
 * cache, so read() is only a health check (one small Read of the server state). A node that does
 * not exist is a bad point, never a device failure; a dead session makes read() throw, and the
 * sampler's reset() + connect() (with its backoff) build a fresh session and subscription.
 */
import { AttributeIds, type ClientSession, coerceNodeId, type DataType, type DataValue, VariableIds } from 'node-opcua';
import type { Driver, PushSource, Writable } from '../../core/driver.js';
import { DriverError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { badSample, type Sample } from '../../core/types.js';
import { type OpcuaSession, openOpcuaSession } from './client.js';
import { statusName, toSample } from './data-value.js';
import type { MonitorSpec } from './monitor.js';
import type { OpcuaPki } from './pki.js';
import type { OpcuaDeviceSettings } from './point.js';
import { type Resolution, resolvePoints } from './resolve.js';
import { toVariant, WriteRefusal } from './write.js';

export interface OpcuaDriverOptions {
  /** the gateway's certificate store (`<dataDir>/pki`), shared by every OPC UA device */
  pki: OpcuaPki;
  logger?: Logger;
  now?: () => number;
}

const SERVER_STATE = coerceNodeId(VariableIds.Server_ServerStatus_State);
/** ServerState (Part 5, 12.6): 0 Running; Failed, Shutdown and CommunicationFault mean "gone". */
const DEAD_STATES = new Map([
  [1, 'Failed'],
  [4, 'Shutdown'],
  [6, 'CommunicationFault'],
]);

/**
 * A subscribe-mode device is a PushSource (its values reach the store as they change); a poll-mode
 * device is a plain Driver, so the sampler stores what read() returns.
 */
export function createOpcuaDriver(device: OpcuaDeviceSettings & { mode: 'subscribe' }, options: OpcuaDriverOptions): Driver & PushSource & Writable;
export function createOpcuaDriver(device: OpcuaDeviceSettings, options: OpcuaDriverOptions): (Driver & Writable) | (Driver & PushSource & Writable);
export function createOpcuaDriver(device: OpcuaDeviceSettings, options: OpcuaDriverOptions): (Driver & Writable) | (Driver & PushSource & Writable) {
  const { connection, points } = device;
  const log = (options.logger ?? silentLogger).child({ device: device.id });
  const now = options.now ?? Date.now;
  const sinks = new Set<(samples: Sample[]) => void>();
  let session: OpcuaSession | undefined;
  /** a session cut off by a network loss, closed on the server at the next connect */
  let orphan: ClientSession | undefined;
  let resolved: Resolution[] = [];
  let cache: (Sample | undefined)[] = [];
  /** each written point's built-in DataType, read at its first write on this session */
  let dataTypes = new Map<number, DataType>();
  let closed = false;

  const fail = (message: string, reason = 'comm') => new DriverError(`${device.id}: ${message}`, device.id, reason, true);

  const unresolvedSample = (i: number, ts: number): Sample | undefined => {
    const r = resolved[i];
    return r && 'reason' in r ? badSample(points[i]!.id, ts, r.reason) : undefined;
  };

  const push = (samples: Sample[]) => {
    for (const sink of sinks) sink(samples);
  };

  const onChanges = (changes: ReadonlyArray<readonly [number, DataValue]>) => {
    const t = now();
    const samples: Sample[] = [];
    for (const [i, dv] of changes) {
      const sample = toSample(points[i]!, dv, t);
      const before = cache[i];
      // The subscription's first notification repeats what connect() just read: not news.
      if (before && before.ts === sample.ts && before.value === sample.value && before.quality === sample.quality) continue;
      cache[i] = sample;
      samples.push(sample);
    }
    if (samples.length > 0) push(samples);
  };

  /** Indexes of the points that resolved to a node. */
  const live = () => resolved.flatMap((r, i) => ('nodeId' in r ? [i] : []));

  async function readPoints(s: OpcuaSession, indexes: readonly number[], signal: AbortSignal): Promise<Map<number, Sample>> {
    const items = indexes.map((i) => ({ nodeId: (resolved[i] as { nodeId: never }).nodeId }));
    const values = await s.read(items, signal);
    const t = now();
    return new Map(indexes.map((i, k) => [i, toSample(points[i]!, values[k]!, t)]));
  }

  async function setUp(s: OpcuaSession, signal: AbortSignal): Promise<void> {
    resolved = await resolvePoints(s, points, signal);
    cache = new Array(points.length);
    dataTypes = new Map();
    const t = now();
    const missing = points.flatMap((p, i) => {
      const bad = unresolvedSample(i, t);
      if (!bad) return [];
      cache[i] = bad;
      return [`${p.key} (${p.nodeId ?? p.browsePath}: ${bad.reason})`];
    });
    if (missing.length > 0) log.warn('points not found on the server; they read as bad', { points: missing.slice(0, 20).join(', ') });
    if (device.mode === 'poll') return;
    // The first values come from one Read, so read() right after connect() has every value even
    // when nothing changes (a deadband or a quiet variable may not notify for a long time).
    const indexes = live();
    for (const [i, sample] of await readPoints(s, indexes, signal)) cache[i] = sample;
    const specs: MonitorSpec[] = indexes.map((i) => {
      const p = points[i]!;
      const spec: MonitorSpec = {
        nodeId: (resolved[i] as { nodeId: MonitorSpec['nodeId'] }).nodeId,
        samplingIntervalMs: p.samplingIntervalMs ?? device.subscription.samplingIntervalMs,
        queueSize: p.queueSize ?? device.subscription.queueSize,
      };
      const deadband = p.deadband ?? device.subscription.deadband;
      if (deadband) spec.deadband = deadband;
      return spec;
    });
    const monitor = await s.monitor(specs, device.subscription.publishingIntervalMs, (changes) => onChanges(changes.map(([k, dv]) => [indexes[k]!, dv] as const)), signal);
    const refused: string[] = [];
    monitor.statuses.forEach((status, k) => {
      if (status.isGood()) return;
      const i = indexes[k]!;
      cache[i] = badSample(points[i]!.id, now(), statusName(status));
      refused.push(`${points[i]!.key} (${statusName(status)})`);
    });
    if (refused.length > 0) log.warn('the server refused to monitor some points', { points: refused.slice(0, 20).join(', ') });
  }

  const dropSession = async () => {
    const s = session;
    session = undefined;
    await s?.close();
    orphan = s?.orphan() ?? orphan;
  };

  /** A refusal of one write: the point's fault (or the server's answer), never the link's. */
  const refused = (key: string, message: string, reason: string) => new DriverError(`${device.id}: ${key}: ${message}`, device.id, reason, false);

  async function write(pointId: string, value: Parameters<Writable['write']>[1], signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const i = points.findIndex((p) => p.id === pointId);
    const point = points[i];
    if (!point) throw refused(pointId, 'no such point on this device', 'config');
    const s = session;
    if (closed || !s) throw fail(closed ? 'the driver is closed' : `not connected to ${connection.endpoint}`);
    if (s.lost) throw s.lost;
    const r = resolved[i];
    if (!r || !('nodeId' in r)) throw refused(point.key, `the node was not found (${r && 'reason' in r ? r.reason : 'not resolved'})`, 'config');
    const { nodeId } = r;
    let dataType = dataTypes.get(i);
    if (dataType === undefined) {
      const answer = await s.dataType(nodeId, signal);
      if (typeof answer !== 'number') throw refused(point.key, `cannot read the variable's DataType (${statusName(answer)})`, statusName(answer));
      dataType = answer;
      dataTypes.set(i, dataType);
    }
    let variant: ReturnType<typeof toVariant>;
    try {
      variant = toVariant(point, dataType, value);
    } catch (err) {
      if (err instanceof WriteRefusal) throw refused(point.key, `not sent: ${err.message}`, err.reason);
      throw err;
    }
    const [status] = await s.write([{ nodeId, value: variant }], signal);
    if (!status?.isGood()) {
      const name = status ? statusName(status) : 'BadUnexpectedError';
      throw refused(point.key, `the server refused the write of ${JSON.stringify(value)} (${name})`, name);
    }
  }

  const driver: Driver & Writable = {
    deviceId: device.id,
    // One session per device: devices on one server do not wait for each other.
    linkId: `opcua:${device.id}`,

    async connect(signal) {
      signal.throwIfAborted();
      if (closed) throw fail('the driver is closed');
      if (session && !session.lost) return;
      await dropSession();
      const retire = orphan;
      orphan = undefined;
      const s = await openOpcuaSession({ deviceId: device.id, connection, pki: options.pki, logger: log, ...(retire ? { retire } : {}) }, signal);
      try {
        await setUp(s, signal);
      } catch (err) {
        await s.close();
        throw err;
      }
      if (closed) {
        await s.close();
        throw fail('the driver is closed');
      }
      session = s;
      log.info('connected', {
        endpoint: connection.endpoint,
        security: `${connection.securityMode}/${connection.securityPolicy}`,
        mode: device.mode,
        points: points.length,
      });
    },

    async read(signal) {
      signal.throwIfAborted();
      const s = session;
      if (closed || !s) throw fail(closed ? 'the driver is closed' : `not connected to ${connection.endpoint}`);
      if (s.lost) throw s.lost;
      if (device.mode === 'poll') {
        const fresh = await readPoints(s, live(), signal);
        const t = now();
        return points.map((p, i) => fresh.get(i) ?? unresolvedSample(i, t) ?? badSample(p.id, t, 'config'));
      }
      const [state] = await s.read([{ nodeId: SERVER_STATE, attributeId: AttributeIds.Value }], signal);
      const dead = DEAD_STATES.get(Number(state?.value.value));
      if (dead) throw fail(`${connection.endpoint}: the server reports state ${dead}`);
      const t = now();
      return points.map((p, i) => cache[i] ?? badSample(p.id, t, 'BadWaitingForInitialData'));
    },

    async reset() {
      cache = [];
      await dropSession();
    },

    async close() {
      closed = true;
      sinks.clear();
      cache = [];
      await dropSession();
    },

    write,
  };
  if (device.mode === 'poll') return driver;
  const subscribe: PushSource['subscribe'] = (sink) => {
    sinks.add(sink);
    // The values already known (from connect's Read) are this subscriber's starting point.
    const known = cache.filter((s): s is Sample => s !== undefined);
    if (known.length > 0) sink(known);
    return () => {
      sinks.delete(sink);
    };
  };
  return { ...driver, subscribe };
}
