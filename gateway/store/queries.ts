/** Read paths: history for trends, and seq-ordered pages for the sync outbox and the pull API. */
import type { Reading } from '../../core/types.js';
import type { PointRegistry } from './point-registry.js';
import type { Db } from './schema.js';
import type { StoredEvent } from './types.js';
import { decodeQuality, decodeValue } from './value-codec.js';

export interface Queries {
  history(pointId: string, from: number, to: number, limit: number): Reading[];
  historyOfPoints(pointIds: readonly string[], from: number, to: number, limit: number): Reading[];
  readingsAfter(after: number, limit: number): Reading[];
  eventsAfter(after: number, limit: number): StoredEvent[];
}

type Row = [seq: number, ts: number, point: number, value: unknown, quality: number, reason: string | null];

export function createQueries(db: Db, points: PointRegistry): Queries {
  // Walks the (ts, point) index over the range and skips other points inside the index, touching
  // the table only for matching rows. Cost grows with all points' readings in the range, so long
  // ranges will want rollups (a later addition) rather than raw rows.
  const history = db
    .prepare(
      `SELECT seq, ts, point, value, quality, reason FROM readings
       WHERE ts >= ? AND ts <= ? AND point = ? ORDER BY ts LIMIT ?`,
    )
    .raw();
  // Several points in one walk of the ts range (event snapshots): one pass instead of one per point.
  const historyMany = db
    .prepare(
      `SELECT seq, ts, point, value, quality, reason FROM readings
       WHERE ts >= ? AND ts <= ? AND point IN (SELECT value FROM json_each(?)) ORDER BY ts LIMIT ?`,
    )
    .raw();
  const after = db
    .prepare('SELECT seq, ts, point, value, quality, reason FROM readings WHERE seq > ? ORDER BY seq LIMIT ?')
    .raw();
  const events = db.prepare('SELECT seq, ts, type, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?').raw();

  function toReading(r: Row): Reading {
    const reading: Reading = {
      seq: r[0],
      pointId: points.nameOf(r[2]) ?? `#${r[2]}`,
      ts: r[1],
      value: decodeValue(r[3], r[4]),
      quality: decodeQuality(r[4]),
    };
    if (r[5] !== null) reading.reason = r[5];
    return reading;
  }

  return {
    history(pointId, from, to, limit) {
      const id = points.idOf(pointId);
      if (id === undefined || limit <= 0) return [];
      return (history.all(from, to, id, limit) as Row[]).map(toReading);
    },
    historyOfPoints(pointIds, from, to, limit) {
      const ids = pointIds.flatMap((p) => {
        const id = points.idOf(p);
        return id === undefined ? [] : [id];
      });
      if (ids.length === 0 || limit <= 0) return [];
      return (historyMany.all(from, to, JSON.stringify(ids), limit) as Row[]).map(toReading);
    },
    readingsAfter(seq, limit) {
      if (limit <= 0) return [];
      return (after.all(seq, limit) as Row[]).map(toReading);
    },
    eventsAfter(seq, limit) {
      if (limit <= 0) return [];
      return (events.all(seq, limit) as [number, number, string, string][]).map(([s, ts, type, data]) => ({
        seq: s,
        ts,
        type,
        data: JSON.parse(data) as Record<string, unknown>,
      }));
    },
  };
}
