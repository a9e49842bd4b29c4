/**
 * One subscription per session carrying every monitored item of a device. Items with the same
 * sampling interval, queue size and deadband share one CreateMonitoredItems call (within the
 * server's MaxMonitoredItemsPerCall); their changes are handed on in one batch per publish.
 */
import {
  AttributeIds,
  type ClientSession,
  ClientMonitoredItemGroup,
  type ClientSubscription,
  type DataValue,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  type NodeId,
  StatusCodes,
  type StatusCode,
  TimestampsToReturn,
} from 'node-opcua';
import type { OpcuaDeadband } from './point.js';

export interface MonitorSpec {
  nodeId: NodeId;
  samplingIntervalMs: number;
  queueSize: number;
  deadband?: OpcuaDeadband;
}

export interface MonitorOptions {
  publishingIntervalMs: number;
  maxItemsPerCall: number;
  onChanges: (changes: ReadonlyArray<readonly [index: number, value: DataValue]>) => void;
  /** the subscription died on the server (lifetime expired, deleted, ...) */
  onFailure: (why: string) => void;
}

export interface OpcuaMonitor {
  /** the server's answer for each spec, in spec order (Good, or why the item does not exist) */
  readonly statuses: readonly StatusCode[];
  close(): Promise<void>;
}

/** Keep-alive every 10 publishing intervals, lifetime 3 keep-alives (Part 4 requires ≥ 3). */
const KEEPALIVE_COUNT = 10;
const LIFETIME_COUNT = 30;

function groupKey(spec: MonitorSpec): string {
  const d = spec.deadband;
  return `${spec.samplingIntervalMs}|${spec.queueSize}|${d ? `${d.type}:${d.value}` : '-'}`;
}

function filterOf(deadband: OpcuaDeadband | undefined): DataChangeFilter | null {
  if (!deadband || deadband.value === 0) return null;
  return new DataChangeFilter({
    trigger: DataChangeTrigger.StatusValue,
    deadbandType: deadband.type === 'percent' ? DeadbandType.Percent : DeadbandType.Absolute,
    deadbandValue: deadband.value,
  });
}

function whenInitialized(group: ClientMonitoredItemGroup): Promise<void> {
  return new Promise((resolve, reject) => {
    group.once('initialized', () => resolve());
    group.once('terminated', (err?: Error) => reject(err ?? new Error('monitored items were refused')));
  });
}

export async function createMonitor(session: ClientSession, specs: readonly MonitorSpec[], options: MonitorOptions): Promise<OpcuaMonitor> {
  const subscription: ClientSubscription = await session.createSubscription2({
    requestedPublishingInterval: options.publishingIntervalMs,
    requestedMaxKeepAliveCount: KEEPALIVE_COUNT,
    requestedLifetimeCount: LIFETIME_COUNT,
    maxNotificationsPerPublish: 0,
    publishingEnabled: true,
    priority: 1,
  });
  let closed = false;
  subscription.on('terminated', () => closed || options.onFailure('the server ended the subscription'));
  subscription.on('internal_error', (err: Error) => closed || options.onFailure(`subscription failed (${err.message})`));
  subscription.on('status_changed', (status: StatusCode) => {
    if (!closed && status.isNotGood()) options.onFailure(`subscription status ${status.name}`);
  });

  // Changes of one publish response arrive synchronously, one event per item: collect them and
  // hand them on once, after the response is processed.
  let pending: Array<readonly [number, DataValue]> = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    if (!closed && batch.length > 0) options.onChanges(batch);
  };

  const statuses: StatusCode[] = new Array(specs.length).fill(StatusCodes.BadWaitingForInitialData);
  const byKey = new Map<string, number[]>();
  specs.forEach((spec, i) => {
    const key = groupKey(spec);
    const list = byKey.get(key) ?? [];
    list.push(i);
    byKey.set(key, list);
  });
  try {
    for (const indexes of byKey.values()) {
      const first = specs[indexes[0]!]!;
      for (let start = 0; start < indexes.length; start += options.maxItemsPerCall) {
        const part = indexes.slice(start, start + options.maxItemsPerCall);
        const group = ClientMonitoredItemGroup.create(
          subscription,
          part.map((i) => ({ nodeId: specs[i]!.nodeId, attributeId: AttributeIds.Value })),
          {
            samplingInterval: first.samplingIntervalMs,
            queueSize: first.queueSize,
            discardOldest: true,
            filter: filterOf(first.deadband),
          },
          TimestampsToReturn.Both,
        );
        group.on('changed', (_item, value, index) => {
          if (pending.length === 0) queueMicrotask(flush);
          pending.push([part[index]!, value]);
        });
        await whenInitialized(group);
        group.monitoredItems.forEach((item, k) => {
          statuses[part[k]!] = item.statusCode;
        });
      }
    }
  } catch (err) {
    closed = true;
    await subscription.terminate().catch(() => undefined);
    throw err;
  }

  return {
    statuses,
    async close() {
      if (closed) return;
      closed = true;
      await subscription.terminate();
    },
  };
}
