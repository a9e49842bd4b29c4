/**
 * Fans committed data out to the open pages (SSE). It hears the store's post-commit bus, so a
 * value reaches the browser right after its commit; each batch is encoded once per distinct
 * subscription, not once per client. It subscribes to the store only while someone listens.
 */
import type { DeviceStatus } from '../../core/device-status.js';
import type { Logger } from '../../core/logger.js';
import type { CommittedBatch, Store } from '../../gateway/store/types.js';

/** [pointId, value, quality, ts, reason] — short, since a busy page gets many. */
export type LiveValue = [string, unknown, string, number, string | null];

export interface LiveFilter {
  /** point ids to receive values of */
  points: ReadonlySet<string>;
  /** alarm transitions */
  alarms: boolean;
  /** device comm status: every field of these devices, or only state changes of all */
  status: 'none' | 'states' | ReadonlySet<string>;
}

export type LiveSend = (event: 'values' | 'alarms' | 'status', data: string) => void;

export interface LiveHub {
  /** Starts delivering to `send`; returns the function that stops it. */
  connect(filter: LiveFilter, send: LiveSend): () => void;
  readonly clients: number;
}

export interface LiveHubOptions {
  store: Pick<Store, 'onCommit'>;
  deviceStatus: () => DeviceStatus[];
  logger: Logger;
  /** how often device status is checked for changes (default 1000 ms) */
  statusIntervalMs?: number;
}

interface Client {
  filter: LiveFilter;
  send: LiveSend;
  /** groups clients with the same point set, so a batch is encoded once per group */
  key: string;
}

const ALARM_FIELDS = ['alarmId', 'transition', 'severity', 'state', 'from', 'message', 'point', 'device', 'value', 'unit', 'who'] as const;

function pointsKey(points: ReadonlySet<string>): string {
  return [...points].sort().join('\n');
}

export function createLiveHub(options: LiveHubOptions): LiveHub {
  const clients = new Set<Client>();
  let unsubscribe: (() => void) | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  let lastStatus = new Map<string, { state: string; json: string }>();

  function onCommit(batch: CommittedBatch): void {
    if (batch.readings.length > 0) {
      // The newest reading of each point in the batch (a batch may hold several polls).
      const newest = new Map<string, LiveValue>();
      for (const r of batch.readings) {
        const seen = newest.get(r.pointId);
        if (!seen || seen[3] <= r.ts) newest.set(r.pointId, [r.pointId, r.value, r.quality, r.ts, r.reason ?? null]);
      }
      const encoded = new Map<string, string | null>();
      for (const client of clients) {
        if (client.filter.points.size === 0) continue;
        let data = encoded.get(client.key);
        if (data === undefined) {
          const values: LiveValue[] = [];
          const small = client.filter.points.size < newest.size;
          if (small) {
            for (const id of client.filter.points) {
              const v = newest.get(id);
              if (v) values.push(v);
            }
          } else {
            for (const [id, v] of newest) if (client.filter.points.has(id)) values.push(v);
          }
          data = values.length > 0 ? JSON.stringify(values) : null;
          encoded.set(client.key, data);
        }
        if (data !== null) client.send('values', data);
      }
    }
    const alarmEvents = batch.events.filter((e) => e.type.startsWith('alarm.'));
    if (alarmEvents.length > 0) {
      const data = JSON.stringify(
        alarmEvents.map((e) => {
          const out: Record<string, unknown> = { seq: e.seq, ts: e.ts, type: e.type };
          for (const f of ALARM_FIELDS) if (f in e.data) out[f] = e.data[f];
          return out;
        }),
      );
      for (const client of clients) if (client.filter.alarms) client.send('alarms', data);
    }
  }

  function checkStatus(): void {
    let statuses: DeviceStatus[];
    try {
      statuses = options.deviceStatus();
    } catch (err) {
      options.logger.warn('device status for live pages failed', { err: String(err) });
      return;
    }
    const next = new Map<string, { state: string; json: string }>();
    const changedStates: Array<[string, string]> = [];
    const changedFull = new Map<string, DeviceStatus>();
    for (const s of statuses) {
      const json = JSON.stringify(s);
      const before = lastStatus.get(s.deviceId);
      next.set(s.deviceId, { state: s.state, json });
      if (!before || before.state !== s.state) changedStates.push([s.deviceId, s.state]);
      if (!before || before.json !== json) changedFull.set(s.deviceId, s);
    }
    lastStatus = next;
    const statesData = changedStates.length > 0 ? JSON.stringify({ states: changedStates }) : null;
    for (const client of clients) {
      const want = client.filter.status;
      if (want === 'none') continue;
      if (want === 'states') {
        if (statesData) client.send('status', statesData);
        continue;
      }
      const devices = [...want].map((id) => changedFull.get(id)).filter((s): s is DeviceStatus => s !== undefined);
      if (devices.length > 0) client.send('status', JSON.stringify({ devices }));
    }
  }

  function start(): void {
    unsubscribe = options.store.onCommit(onCommit);
    lastStatus = new Map(options.deviceStatus().map((s) => [s.deviceId, { state: s.state, json: JSON.stringify(s) }]));
    statusTimer = setInterval(checkStatus, options.statusIntervalMs ?? 1000);
    statusTimer.unref();
  }

  function stop(): void {
    unsubscribe?.();
    unsubscribe = undefined;
    if (statusTimer) clearInterval(statusTimer);
    statusTimer = undefined;
  }

  return {
    connect(filter, send) {
      const client: Client = { filter, send, key: pointsKey(filter.points) };
      clients.add(client);
      if (clients.size === 1) start();
      return () => {
        if (!clients.delete(client)) return;
        if (clients.size === 0) stop();
      };
    },
    get clients() {
      return clients.size;
    },
  };
}
