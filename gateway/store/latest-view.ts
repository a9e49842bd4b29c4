/**
 * The latest value of every point, in memory, updated after each commit. The `latest` table is
 * only a checkpoint of it (changed points, every few seconds and at close) so the hot path never
 * upserts per reading. On open the checkpoint is loaded and the readings committed after it are
 * replayed, so a kill -9 between checkpoints still yields the right view.
 *
 * A reading replaces the current value unless its timestamp is older: a late, back-dated sample
 * (a device buffer flushed after a reconnect) must not hide a newer value.
 */
import type { Sample } from '../../core/types.js';
import type { Meta } from './meta.js';
import type { PointRegistry } from './point-registry.js';
import type { Db } from './schema.js';
import type { LatestValue } from './types.js';
import { bindValue, decodeQuality, decodeValue, qualityCode } from './value-codec.js';

export interface LatestView {
  /**
   * samples[i] got seq firstSeq + i, or seqs[i] when given. A sample that got no row (seq 0,
   * report-by-exception) becomes the live value but does not make its point due for the next
   * checkpoint: checkpoints follow what is stored, so a steady point writes nothing.
   */
  apply(samples: readonly Sample[], firstSeq: number, pointIds: Int32Array, seqs?: Float64Array): void;
  all(): LatestValue[];
  of(pointId: string): LatestValue | undefined;
  /** Writes the changed points and the seq they reflect; must not run inside another transaction. */
  checkpoint(lastCommittedSeq: number): number;
}

type Row = [seq: number, ts: number, point: number, value: unknown, quality: number, reason: string | null];

export function createLatestView(db: Db, meta: Meta, points: PointRegistry): LatestView {
  // Point ids are small dense integers, so plain arrays beat maps on the per-reading path.
  const byId: (LatestValue | undefined)[] = [];
  const isDirty: boolean[] = [];
  let dirty: number[] = [];
  const markDirty = (id: number) => {
    if (isDirty[id] === true) return;
    isDirty[id] = true;
    dirty.push(id);
  };

  function put(id: number, seq: number, ts: number, value: LatestValue['value'], quality: LatestValue['quality'], reason: string | null | undefined): boolean {
    const current = byId[id];
    if (current !== undefined) {
      if (ts < current.ts) return false;
      current.seq = seq;
      current.ts = ts;
      current.value = value;
      current.quality = quality;
      if (reason == null) delete current.reason;
      else current.reason = reason;
      return true;
    }
    const pointId = points.nameOf(id);
    if (pointId === undefined) return false;
    const entry: LatestValue = { pointId, seq, ts, value, quality };
    if (reason != null) entry.reason = reason;
    byId[id] = entry;
    return true;
  }

  for (const r of db.prepare('SELECT seq, ts, point, value, quality, reason FROM latest').raw().iterate() as Iterable<Row>) {
    put(r[2], r[0], r[1], decodeValue(r[3], r[4]), decodeQuality(r[4]), r[5]);
  }
  const replay = db.prepare('SELECT seq, ts, point, value, quality, reason FROM readings WHERE seq > ? ORDER BY seq');
  for (const r of replay.raw().iterate(meta.get('latest_seq')) as Iterable<Row>) {
    if (put(r[2], r[0], r[1], decodeValue(r[3], r[4]), decodeQuality(r[4]), r[5])) markDirty(r[2]);
  }

  const upsert = db.prepare(
    `INSERT INTO latest (point, seq, ts, value, quality, reason) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (point) DO UPDATE SET seq = excluded.seq, ts = excluded.ts, value = excluded.value,
       quality = excluded.quality, reason = excluded.reason`,
  );
  const writeCheckpoint = db.transaction((seq: number) => {
    for (const id of dirty) {
      const e = byId[id];
      if (e) upsert.run(id, e.seq, e.ts, bindValue(e.value), qualityCode(e.quality, e.value), e.reason ?? null);
    }
    meta.set('latest_seq', seq);
  });
  let checkpointedSeq = meta.get('latest_seq');

  return {
    apply(samples, firstSeq, pointIds, seqs) {
      for (let i = 0; i < samples.length; i++) {
        const s = samples[i]!;
        const id = pointIds[i]!;
        const seq = seqs ? seqs[i]! : firstSeq + i;
        if (put(id, seq, s.ts, s.value, s.quality, s.reason) && seq > 0) markDirty(id);
      }
    },
    all: () => byId.filter((e) => e !== undefined).map((e) => ({ ...e })),
    of(pointId) {
      const id = points.idOf(pointId);
      const e = id === undefined ? undefined : byId[id];
      return e ? { ...e } : undefined;
    },
    checkpoint(lastCommittedSeq) {
      if (dirty.length === 0 && lastCommittedSeq === checkpointedSeq) return 0;
      const n = dirty.length;
      writeCheckpoint.immediate(lastCommittedSeq);
      for (const id of dirty) isDirty[id] = false;
      dirty = [];
      checkpointedSeq = lastCommittedSeq;
      return n;
    },
  };
}
