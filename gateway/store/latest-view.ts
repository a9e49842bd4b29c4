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

/** per point: no latest value yet (0), else the quality's index in QUALITIES + 1 */
const QUALITIES: readonly LatestValue['quality'][] = ['good', 'uncertain', 'bad'];
const NONE = 0;

export function createLatestView(db: Db, meta: Meta, points: PointRegistry): LatestView {
  // Point ids are small dense integers: the view is columns indexed by them, not an object per
  // point (10 000 objects and their boxed numbers were ~1.3 MB of live heap). A number value sits
  // unboxed in `numbers`; only a text, boolean or null value takes a slot in `others`.
  let capacity = 0;
  let seqs = new Float64Array(0);
  let times = new Float64Array(0);
  let numbers = new Float64Array(0);
  /** NONE, or QUALITIES index + 1 */
  let qualities = new Uint8Array(0);
  /** 1 while the value is in `numbers` */
  let isNumber = new Uint8Array(0);
  let isDirty = new Uint8Array(0);
  const others: (LatestValue['value'] | undefined)[] = [];
  /** the few points whose latest sample has a reason */
  const reasons = new Map<number, string>();
  let dirty: number[] = [];

  function grow(id: number): void {
    capacity = Math.max(1024, capacity * 2, id + 1);
    const widen = <T extends Float64Array | Uint8Array>(old: T, next: T): T => {
      next.set(old);
      return next;
    };
    seqs = widen(seqs, new Float64Array(capacity));
    times = widen(times, new Float64Array(capacity));
    numbers = widen(numbers, new Float64Array(capacity));
    qualities = widen(qualities, new Uint8Array(capacity));
    isNumber = widen(isNumber, new Uint8Array(capacity));
    isDirty = widen(isDirty, new Uint8Array(capacity));
  }

  const markDirty = (id: number) => {
    if (isDirty[id] === 1) return;
    isDirty[id] = 1;
    dirty.push(id);
  };

  const valueAt = (id: number): LatestValue['value'] => (isNumber[id] === 1 ? numbers[id]! : (others[id] ?? null));

  /** The point's latest value as an object of its own (callers may keep or change it). */
  function entryOf(id: number): LatestValue | undefined {
    const q = id >= 0 && id < capacity ? qualities[id]! : NONE;
    const pointId = q === NONE ? undefined : points.nameOf(id);
    if (pointId === undefined) return undefined;
    const entry: LatestValue = { pointId, seq: seqs[id]!, ts: times[id]!, value: valueAt(id), quality: QUALITIES[q - 1]! };
    const reason = reasons.get(id);
    if (reason !== undefined) entry.reason = reason;
    return entry;
  }

  function put(id: number, seq: number, ts: number, value: LatestValue['value'], quality: LatestValue['quality'], reason: string | null | undefined): boolean {
    if (!(id >= 0)) return false;
    if (id >= capacity) grow(id);
    if (qualities[id] !== NONE) {
      if (ts < times[id]!) return false;
    } else if (points.nameOf(id) === undefined) return false;
    seqs[id] = seq;
    times[id] = ts;
    qualities[id] = QUALITIES.indexOf(quality) + 1;
    if (typeof value === 'number') {
      numbers[id] = value;
      isNumber[id] = 1;
      if (others[id] !== undefined) others[id] = undefined;
    } else {
      isNumber[id] = 0;
      others[id] = value;
    }
    if (reason == null) {
      if (reasons.size > 0) reasons.delete(id);
    } else reasons.set(id, reason);
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
      if (qualities[id] === NONE) continue;
      const value = valueAt(id);
      upsert.run(id, seqs[id]!, times[id]!, bindValue(value), qualityCode(QUALITIES[qualities[id]! - 1]!, value), reasons.get(id) ?? null);
    }
    meta.set('latest_seq', seq);
  });
  let checkpointedSeq = meta.get('latest_seq');

  return {
    apply(samples, firstSeq, pointIds, seqList) {
      for (let i = 0; i < samples.length; i++) {
        const s = samples[i]!;
        const id = pointIds[i]!;
        const seq = seqList ? seqList[i]! : firstSeq + i;
        if (put(id, seq, s.ts, s.value, s.quality, s.reason) && seq > 0) markDirty(id);
      }
    },
    all() {
      const out: LatestValue[] = [];
      for (let id = 0; id < capacity; id++) {
        const entry = qualities[id] === NONE ? undefined : entryOf(id);
        if (entry) out.push(entry);
      }
      return out;
    },
    of(pointId) {
      const id = points.idOf(pointId);
      return id === undefined ? undefined : entryOf(id);
    },
    checkpoint(lastCommittedSeq) {
      if (dirty.length === 0 && lastCommittedSeq === checkpointedSeq) return 0;
      const n = dirty.length;
      writeCheckpoint.immediate(lastCommittedSeq);
      for (const id of dirty) isDirty[id] = 0;
      dirty = [];
      checkpointedSeq = lastCommittedSeq;
      return n;
    },
  };
}
