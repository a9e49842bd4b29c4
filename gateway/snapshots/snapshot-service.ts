/**
 * Freezes event snapshots from the store's commits. On `alarm.raised` or `incident.raised` of a
 * configured severity it copies the related points' readings from raisedAt − beforeMin that are
 * already committed (one walk of the store's ts range), then appends each later commit's readings
 * of those points until raisedAt + afterMin; a snapshot remembers the highest store seq it holds,
 * so the copy and the feed never double a reading. When the window closes it stores `snapshot.created` (ids, window,
 * points; the data itself is pulled from the snapshot routes). Snapshots live in snapshots.db,
 * apart from the store's retention: kept until their alarm or incident is acknowledged + keepDays,
 * and within maxMB (the oldest acknowledged are dropped first, then the oldest closed ones).
 */
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Reading } from '../../core/types.js';
import type { CommittedBatch, StoredEvent, Store } from '../store/types.js';
import { relatedPoints, type RelatedLookup, type Subject } from './related-points.js';
import { decodeTimes, decodeValues, encodeTimes, encodeValues } from './chunk-codec.js';
import { openSnapshotDb, type SnapshotDb, usedBytes } from './snapshot-db.js';
import type { Snapshot, SnapshotKind, SnapshotService, SnapshotSettings, SnapshotSummary, SnapshotTransition } from './types.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** readings of the last moments before `to` may commit a little later: close after this */
const CLOSE_GRACE_MS = 2_000;
/** how many recent events a (re)start reads back to find transitions and missed raises */
const PRIME_EVENTS = 20_000;

export interface SnapshotServiceOptions extends RelatedLookup {
  file: string;
  settings: SnapshotSettings;
  store: Pick<Store, 'onCommit' | 'appendEvent' | 'historyOfPoints' | 'eventsAfter' | 'stats'>;
  /** a point's name and unit as the page shows them */
  pointInfo(pointId: string): { name: string; unit: string | null } | undefined;
  /** an incident member's point and device (the alarm service's record) */
  alarmOf?(alarmId: string): Subject | undefined;
  logger: Logger;
  now?: () => number;
  /** how often windows are closed and the lifetime and budget applied; default 5000, 0: only tick() */
  tickMs?: number;
}

export interface SnapshotEngine extends SnapshotService {
  start(): void;
  /** closes due windows, drops expired snapshots, applies the budget */
  tick(): void;
  stop(): void;
  /** for GET /api/v1/health: how many, how big, how many the budget dropped since start */
  health(): SnapshotHealth;
}

export interface SnapshotHealth {
  snapshots: number;
  open: number;
  bytes: number;
  maxBytes: number;
  droppedByBudget: number;
}

interface OpenSnapshot {
  id: number;
  kind: SnapshotKind;
  subject: string;
  severity: string;
  raisedAt: number;
  from: number;
  to: number;
  points: Set<string>;
  devices: Set<string>;
  /** alarm ids whose transitions belong to it (its own, an incident's members) */
  alarms: Set<string>;
  /** highest store seq copied in */
  lastSeq: number;
}

type Row = {
  id: number;
  kind: SnapshotKind;
  subject: string;
  severity: string;
  raised_at: number;
  from_ts: number;
  to_ts: number;
  closed: number;
  acked_at: number | null;
  points: string;
  last_seq: number;
  rows?: number;
};

const TRANSITION_TYPE = /^(alarm|incident)\./;

export function createSnapshotService(options: SnapshotServiceOptions): SnapshotEngine {
  const { settings, store, logger } = options;
  const now = options.now ?? Date.now;
  const beforeMs = settings.beforeMin * MINUTE_MS;
  const afterMs = settings.afterMin * MINUTE_MS;
  const maxBytes = settings.maxMB * 1024 * 1024;
  const severities = new Set<string>(settings.severities);
  const db: SnapshotDb = openSnapshotDb(options.file);
  const open = new Map<number, OpenSnapshot>();
  /** alarm and incident transitions of the last beforeMin + afterMin: a new snapshot's "before" part */
  let recent: StoredEvent[] = [];
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let budgetWarned = false;
  let droppedByBudget = 0;

  const sql = {
    insert: db.prepare(
      'INSERT INTO snapshots (kind, subject, severity, raised_at, from_ts, to_ts, points) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    exists: db.prepare('SELECT 1 FROM snapshots WHERE kind = ? AND subject = ? AND raised_at = ?').pluck(),
    point: db.prepare('INSERT OR IGNORE INTO snapshot_points (snapshot, point, name, unit) VALUES (?, ?, ?, ?)'),
    chunk: db.prepare('INSERT OR IGNORE INTO snapshot_chunks (snapshot, point, first_seq, n, ts, value) VALUES (?, ?, ?, ?, ?, ?)'),
    lastSeq: db.prepare('UPDATE snapshots SET last_seq = ? WHERE id = ?'),
    event: db.prepare('INSERT OR IGNORE INTO snapshot_events (snapshot, seq, ts, type, data) VALUES (?, ?, ?, ?, ?)'),
    close: db.prepare('UPDATE snapshots SET closed = 1 WHERE id = ?'),
    ack: db.prepare('UPDATE snapshots SET acked_at = ? WHERE kind = ? AND subject = ? AND acked_at IS NULL AND raised_at <= ?'),
    openRows: db.prepare('SELECT * FROM snapshots WHERE closed = 0'),
    latest: db.prepare('SELECT * FROM snapshots WHERE kind = ? AND subject = ? ORDER BY raised_at DESC, id DESC LIMIT 1'),
    list: db.prepare(
      'SELECT s.*, (SELECT COALESCE(SUM(n), 0) FROM snapshot_chunks c WHERE c.snapshot = s.id) AS rows FROM snapshots s ORDER BY raised_at DESC, id DESC',
    ),
    rowCount: db.prepare('SELECT COALESCE(SUM(n), 0) FROM snapshot_chunks WHERE snapshot = ?').pluck(),
    pointsOf: db.prepare('SELECT point, name, unit FROM snapshot_points WHERE snapshot = ?'),
    chunksOf: db.prepare('SELECT point, ts, value FROM snapshot_chunks WHERE snapshot = ? ORDER BY point, first_seq').raw(),
    eventsOf: db.prepare('SELECT ts, type, data FROM snapshot_events WHERE snapshot = ? ORDER BY ts, seq').raw(),
    expired: db.prepare('SELECT id, subject FROM snapshots WHERE closed = 1 AND acked_at IS NOT NULL AND acked_at < ?'),
    oldestAcked: db.prepare('SELECT id, subject FROM snapshots WHERE closed = 1 AND acked_at IS NOT NULL ORDER BY raised_at, id LIMIT 1'),
    oldestClosed: db.prepare('SELECT id, subject FROM snapshots WHERE closed = 1 ORDER BY raised_at, id LIMIT 1'),
    delChunks: db.prepare('DELETE FROM snapshot_chunks WHERE snapshot = ?'),
    delEvents: db.prepare('DELETE FROM snapshot_events WHERE snapshot = ?'),
    delPoints: db.prepare('DELETE FROM snapshot_points WHERE snapshot = ?'),
    delSnapshot: db.prepare('DELETE FROM snapshots WHERE id = ?'),
  };

  const insertReadings = db.transaction((snap: OpenSnapshot, readings: readonly Reading[]) => {
    const byPoint = new Map<string, { firstSeq: number; ts: number[]; value: (number | string | null)[] }>();
    let top = snap.lastSeq;
    for (const r of readings) {
      if (r.seq <= snap.lastSeq || r.ts < snap.from || r.ts > snap.to || !snap.points.has(r.pointId)) continue;
      let chunk = byPoint.get(r.pointId);
      if (!chunk) {
        chunk = { firstSeq: r.seq, ts: [], value: [] };
        byPoint.set(r.pointId, chunk);
      }
      chunk.firstSeq = Math.min(chunk.firstSeq, r.seq);
      chunk.ts.push(r.ts);
      chunk.value.push(storedValue(r));
      if (r.seq > top) top = r.seq;
    }
    if (byPoint.size === 0) return;
    for (const [point, c] of byPoint) sql.chunk.run(snap.id, point, c.firstSeq, c.ts.length, encodeTimes(c.ts), encodeValues(c.value));
    snap.lastSeq = top;
    sql.lastSeq.run(top, snap.id);
  });

  function belongs(snap: OpenSnapshot, e: StoredEvent): boolean {
    if (e.ts < snap.from || e.ts > snap.to) return false;
    const id = String(e.data.alarmId ?? e.data.id ?? '');
    if (e.type.startsWith('incident.')) return snap.kind === 'incident' && id === snap.subject;
    if (snap.alarms.has(id)) return true;
    const point = typeof e.data.point === 'string' ? e.data.point : null;
    const device = typeof e.data.device === 'string' ? e.data.device : null;
    return (point !== null && snap.points.has(point)) || (device !== null && snap.devices.has(device));
  }

  function subjectsOf(kind: SnapshotKind, data: Record<string, unknown>): { subjects: Subject[]; alarms: string[] } {
    if (kind === 'alarm') {
      const point = typeof data.point === 'string' ? data.point : null;
      const device = typeof data.device === 'string' ? data.device : null;
      return { subjects: [{ point, device }], alarms: [String(data.alarmId ?? data.id)] };
    }
    const members = Array.isArray(data.members) ? data.members.filter((m): m is string => typeof m === 'string') : [];
    const subjects = members.flatMap((m) => {
      const s = options.alarmOf?.(m);
      return s ? [s] : [];
    });
    return { subjects, alarms: members };
  }

  function create(kind: SnapshotKind, e: StoredEvent): void {
    const subject = String(kind === 'alarm' ? (e.data.alarmId ?? e.data.id) : e.data.id);
    const raisedAt = typeof e.data.raisedAt === 'number' ? e.data.raisedAt : e.ts;
    if (sql.exists.get(kind, subject, raisedAt)) return;
    const { subjects, alarms } = subjectsOf(kind, e.data);
    const related = relatedPoints(subjects, options);
    const from = raisedAt - beforeMs;
    const to = raisedAt + afterMs;
    const snap: OpenSnapshot = {
      id: 0,
      kind,
      subject,
      severity: String(e.data.severity),
      raisedAt,
      from,
      to,
      points: new Set(related.points),
      devices: new Set(related.devices),
      alarms: new Set(alarms),
      lastSeq: 0,
    };
    db.transaction(() => {
      snap.id = Number(sql.insert.run(kind, subject, snap.severity, raisedAt, from, to, JSON.stringify(related.points)).lastInsertRowid);
      for (const p of related.points) {
        const info = options.pointInfo(p);
        sql.point.run(snap.id, p, info?.name ?? p, info?.unit ?? null);
      }
      // Everything of the window already committed: the "before" part, and the raise's own commit.
      insertReadings(snap, store.historyOfPoints(related.points, from, to));
      for (const ev of recent) if (belongs(snap, ev)) sql.event.run(snap.id, ev.seq, ev.ts, ev.type, JSON.stringify(ev.data));
      if (belongs(snap, e)) sql.event.run(snap.id, e.seq, e.ts, e.type, JSON.stringify(e.data));
    })();
    open.set(snap.id, snap);
    logger.info('snapshot started', { snapshot: snap.id, kind, subject, points: related.points.length, from, to });
  }

  function onCommit(batch: CommittedBatch): void {
    try {
      // Open snapshots first: a snapshot made from this commit's raise already copied its readings.
      for (const snap of open.values()) {
        if (batch.readings.length > 0) insertReadings(snap, batch.readings);
        for (const e of batch.events) {
          if (TRANSITION_TYPE.test(e.type) && belongs(snap, e)) sql.event.run(snap.id, e.seq, e.ts, e.type, JSON.stringify(e.data));
        }
      }
      for (const e of batch.events) {
        if (!TRANSITION_TYPE.test(e.type)) continue;
        recent.push(e);
        onTransition(e);
      }
      trimRecent();
    } catch (err) {
      logger.error('snapshot update failed', { err: errorMessage(err) });
    }
  }

  function onTransition(e: StoredEvent): void {
    const kind: SnapshotKind = e.type.startsWith('incident.') ? 'incident' : 'alarm';
    const transition = e.type.slice(e.type.indexOf('.') + 1);
    if (transition === 'raised' && settings.enabled && severities.has(String(e.data.severity))) create(kind, e);
    // Acknowledged (or reset, or the rule removed): the snapshot's keepDays start.
    if (transition === 'acked' || transition === 'reset' || transition === 'removed') {
      const subject = String(kind === 'alarm' ? (e.data.alarmId ?? e.data.id) : e.data.id);
      sql.ack.run(e.ts, kind, subject, e.ts);
    }
  }

  function trimRecent(): void {
    const keepFrom = now() - beforeMs - afterMs - MINUTE_MS;
    if (recent.length > 0 && recent[0]!.ts < keepFrom) recent = recent.filter((e) => e.ts >= keepFrom);
  }

  function closeDue(at: number): void {
    for (const snap of [...open.values()]) {
      if (at < snap.to + CLOSE_GRACE_MS) continue;
      sql.close.run(snap.id);
      open.delete(snap.id);
      const rows = sql.rowCount.get(snap.id) as number;
      store.appendEvent(
        'snapshot.created',
        {
          snapshotId: snap.id,
          kind: snap.kind,
          [snap.kind === 'alarm' ? 'alarmId' : 'incidentId']: snap.subject,
          severity: snap.severity,
          raisedAt: snap.raisedAt,
          from: snap.from,
          to: snap.to,
          points: [...snap.points],
          rows,
          // the data: GET this with a viewer or ems token
          pull: `/api/v1/${snap.kind === 'alarm' ? 'alarms' : 'incidents'}/${encodeURIComponent(snap.subject)}/snapshot`,
        },
        at,
      );
      logger.info('snapshot closed', { snapshot: snap.id, subject: snap.subject, rows });
    }
  }

  function drop(id: number, subject: string, reason: 'expired' | 'budget'): void {
    db.transaction(() => {
      sql.delChunks.run(id);
      sql.delEvents.run(id);
      sql.delPoints.run(id);
      sql.delSnapshot.run(id);
    })();
    if (reason === 'budget') {
      droppedByBudget++;
      store.appendEvent('snapshot.dropped', { snapshotId: id, subject, reason });
      logger.warn('snapshot dropped: the snapshot budget (snapshots.maxMB) is full', { snapshot: id, subject });
    }
  }

  function applyLifetimeAndBudget(at: number): void {
    for (const r of sql.expired.all(at - settings.keepDays * DAY_MS) as { id: number; subject: string }[]) drop(r.id, r.subject, 'expired');
    while (usedBytes(db) > maxBytes) {
      // Acknowledged ones first (an operator has seen them), then the oldest closed; open ones stay.
      const victim = (sql.oldestAcked.get() ?? sql.oldestClosed.get()) as { id: number; subject: string } | undefined;
      if (!victim) {
        if (!budgetWarned) logger.warn('snapshots.maxMB is full of snapshots still filling; none dropped');
        budgetWarned = true;
        break;
      }
      drop(victim.id, victim.subject, 'budget');
      db.pragma('incremental_vacuum');
    }
    db.pragma('incremental_vacuum');
  }

  function tick(): void {
    try {
      const at = now();
      closeDue(at);
      applyLifetimeAndBudget(at);
      trimRecent();
    } catch (err) {
      logger.error('snapshot upkeep failed', { err: errorMessage(err) });
    }
  }

  /** After a restart: reopen unfinished snapshots (filling what the store got meanwhile) and take missed ones. */
  function recover(): void {
    const last = store.stats().lastEventSeq;
    const since = now() - beforeMs - afterMs - MINUTE_MS;
    recent = store.eventsAfter(Math.max(0, last - PRIME_EVENTS), PRIME_EVENTS).filter((e) => TRANSITION_TYPE.test(e.type) && e.ts >= since);
    for (const r of sql.openRows.all() as Row[]) {
      const points = JSON.parse(r.points) as string[];
      const stored = (sql.pointsOf.all(r.id) as { point: string }[]).map((p) => p.point);
      const snap: OpenSnapshot = {
        id: r.id,
        kind: r.kind,
        subject: r.subject,
        severity: r.severity,
        raisedAt: r.raised_at,
        from: r.from_ts,
        to: r.to_ts,
        points: new Set(points.length > 0 ? points : stored),
        devices: new Set(points.map((p) => p.slice(0, p.indexOf('.')))),
        alarms: new Set([r.subject]),
        lastSeq: r.last_seq,
      };
      insertReadings(snap, store.historyOfPoints([...snap.points], snap.from, snap.to));
      for (const ev of recent) if (belongs(snap, ev)) sql.event.run(snap.id, ev.seq, ev.ts, ev.type, JSON.stringify(ev.data));
      open.set(snap.id, snap);
    }
    for (const e of recent) {
      if (!e.type.endsWith('.raised') || e.ts < now() - afterMs) continue;
      if (settings.enabled && severities.has(String(e.data.severity))) create(e.type.startsWith('incident.') ? 'incident' : 'alarm', e);
    }
  }

  function toSummary(r: Row, rows: number): SnapshotSummary {
    return {
      id: r.id,
      kind: r.kind,
      subject: r.subject,
      severity: r.severity,
      from: r.from_ts,
      to: r.to_ts,
      raisedAt: r.raised_at,
      closed: r.closed === 1,
      ackedAt: r.acked_at,
      pointIds: JSON.parse(r.points) as string[],
      rows,
    };
  }

  return {
    severities: settings.enabled ? [...settings.severities] : [],
    start() {
      if (unsubscribe) return;
      recover();
      unsubscribe = store.onCommit(onCommit);
      const every = options.tickMs ?? 5_000;
      if (every > 0) {
        timer = setInterval(tick, every);
        timer.unref();
      }
    },
    tick,
    health() {
      const snapshots = db.prepare('SELECT COUNT(*) FROM snapshots').pluck().get() as number;
      return { snapshots, open: open.size, bytes: usedBytes(db), maxBytes, droppedByBudget };
    },
    stop() {
      unsubscribe?.();
      unsubscribe = undefined;
      if (timer) clearInterval(timer);
      timer = undefined;
      db.close();
    },
    list() {
      return (sql.list.all() as Row[]).map((r) => toSummary(r, r.rows ?? 0));
    },
    latest(kind, subject): Snapshot | undefined {
      const r = sql.latest.get(kind, subject) as Row | undefined;
      if (!r) return undefined;
      const pointIds = JSON.parse(r.points) as string[];
      const info = new Map((sql.pointsOf.all(r.id) as { point: string; name: string; unit: string | null }[]).map((p) => [p.point, p]));
      const series = new Map(pointIds.map((p) => [p, { pointId: p, name: info.get(p)?.name ?? p, unit: info.get(p)?.unit ?? null, ts: [] as number[], value: [] as (number | string | null)[] }]));
      let rows = 0;
      for (const [point, ts, value] of sql.chunksOf.all(r.id) as [string, Buffer | string, Buffer | string][]) {
        const s = series.get(point);
        if (!s) continue;
        const t = decodeTimes(ts);
        const v = decodeValues(value);
        for (let i = 0; i < t.length; i++) {
          s.ts.push(t[i]!);
          s.value.push(v[i] ?? null);
        }
        rows += t.length;
      }
      for (const s of series.values()) inTimeOrder(s);
      const alarms: SnapshotTransition[] = (sql.eventsOf.all(r.id) as [number, string, string][]).map(([ts, type, data]) => {
        const d = JSON.parse(data) as Record<string, unknown>;
        const text = (v: unknown) => (typeof v === 'string' ? v : null);
        return { ts, type, id: String(d.alarmId ?? d.id ?? ''), state: text(d.state), severity: text(d.severity), message: text(d.message) };
      });
      return { ...toSummary(r, rows), series: [...series.values()], alarms };
    },
  };
}

/** Chunks are in seq order; a late sample (an older ts committed later) is put in its place. */
function inTimeOrder(s: { ts: number[]; value: (number | string | null)[] }): void {
  let sorted = true;
  for (let i = 1; i < s.ts.length && sorted; i++) if (s.ts[i]! < s.ts[i - 1]!) sorted = false;
  if (sorted) return;
  const order = s.ts.map((_, i) => i).sort((a, b) => s.ts[a]! - s.ts[b]! || a - b);
  const ts = order.map((i) => s.ts[i]!);
  const value = order.map((i) => s.value[i]!);
  s.ts = ts;
  s.value = value;
}

/** What a row keeps of a reading: numbers and text as they are, booleans as 1/0, bad quality as null. */
function storedValue(r: Reading): number | string | null {
  if (r.quality === 'bad') return null;
  if (typeof r.value === 'boolean') return r.value ? 1 : 0;
  return r.value ?? null;
}
