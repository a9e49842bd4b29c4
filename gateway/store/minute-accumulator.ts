/**
 * Per-minute count/min/max/sum of every committed sample, stored or not, held in memory until the
 * rollup pass writes them (rollups.ts). Report-by-exception leaves most samples of a steady point
 * without a row, so rollups computed from the stored rows alone would leave its minutes empty: a
 * trend with gaps and steps, an analytics baseline fitted on fewer minutes. The commit loop folds
 * each committed chunk in here instead, right after its COMMIT.
 *
 * This runs on the ingest path: one call per commit, a few comparisons per sample, no object per
 * sample. Each point has two buckets in typed arrays indexed by its interned id: the open one (its
 * newest minute) and a late one (an older minute: a device clock, a push source catching up in
 * order). A bucket whose minute is left behind moves to a flat list of closed buckets. The same
 * (point, minute) may end up there more than once (samples jumping back and forth between minutes);
 * the rollup upsert adds them up, so that costs rows, never correctness.
 *
 * What counts is what the SQL pass over `readings` counts: good and uncertain numbers and booleans
 * (0/1); bad readings, text, null and NaN (SQLite stores NaN as NULL) do not. Sums use the same
 * compensated (Kahan-Babuska-Neumaier) summation as SQLite's sum(), so a point stored in full
 * rolls up to the same figures by either path.
 */
import type { Sample } from '../../core/types.js';

/** Minute of a timestamp: the rollup key (rollups.ts ROLLUP_MS; a literal here to avoid an import cycle). */
const MINUTE_MS = 60_000;
/** Closed buckets are kept as (point, minute, n, min, max, sum) runs in one Float64Array. */
const STRIDE = 6;
const INITIAL_CLOSED = 1024;
/** Open and late bucket per point. */
const SLOTS = 2;

export type MinuteBucketVisitor = (point: number, minute: number, n: number, min: number, max: number, sum: number) => void;

export interface MinuteAccumulator {
  /** The last reading seq committed before this accumulator started: rows up to it are not in it. */
  readonly baseSeq: number;
  /** The highest reading seq whose commit has been folded in (baseSeq until the first commit). */
  readonly coveredSeq: number;
  /** Buckets held (open, late and closed). */
  readonly size: number;
  /**
   * Folds one committed chunk in: samples[i] belongs to point pointIds[i]; `lastSeq` is the last
   * reading seq committed so far, this chunk included. Call only after the chunk's COMMIT returned.
   */
  add(samples: readonly Sample[], pointIds: Int32Array, lastSeq: number): void;
  /** Visits every bucket held; a (point, minute) may come more than once. */
  forEach(visit: MinuteBucketVisitor): void;
  /** Visits the buckets held of one point with fromMinute <= minute <= toMinute (a query's unwritten part). */
  forEachOf(point: number, fromMinute: number, toMinute: number, visit: MinuteBucketVisitor): void;
  /** Forgets every bucket (they were written); coveredSeq stays. */
  clear(): void;
}

export function createMinuteAccumulator(baseSeq: number): MinuteAccumulator {
  let coveredSeq = baseSeq;
  // Bucket b of point id p sits at index p * SLOTS + b (0 open, 1 late); n = 0 marks it empty.
  let capacity = 0;
  let minuteOf = new Float64Array(0);
  let count = new Float64Array(0);
  let low = new Float64Array(0);
  let high = new Float64Array(0);
  let sum = new Float64Array(0);
  /** the running compensation of each bucket's sum (SQLite's sum() keeps the same) */
  let error = new Float64Array(0);
  let held = 0;
  let closed = new Float64Array(INITIAL_CLOSED * STRIDE);
  let closedLength = 0;

  function grow(id: number): void {
    // point ids are dense from 1: grow by half again, not double (10 k points: 12 k slots, not 16 k)
    let next = Math.max(1024, capacity);
    while (next <= id) next = Math.ceil(next * 1.5);
    const bigger = (old: Float64Array) => {
      const a = new Float64Array(next * SLOTS);
      a.set(old);
      return a;
    };
    minuteOf = bigger(minuteOf);
    count = bigger(count);
    low = bigger(low);
    high = bigger(high);
    sum = bigger(sum);
    error = bigger(error);
    capacity = next;
  }

  function start(k: number, minute: number, x: number): void {
    minuteOf[k] = minute;
    count[k] = 1;
    low[k] = x;
    high[k] = x;
    sum[k] = x;
    error[k] = 0;
    held++;
  }

  function fold(k: number, x: number): void {
    count[k]!++;
    if (x < low[k]!) low[k] = x;
    if (x > high[k]!) high[k] = x;
    const s = sum[k]!;
    const t = s + x;
    error[k]! += Math.abs(s) > Math.abs(x) ? s - t + x : x - t + s;
    sum[k] = t;
  }

  /** The bucket's sum as SQLite's sum() finishes it: the compensation is dropped once it is NaN (infinities). */
  function total(k: number): number {
    const e = error[k]!;
    return Number.isNaN(e) ? sum[k]! : sum[k]! + e;
  }

  /** Moves bucket k (of point id) to the closed list and empties it; `held` is unchanged. */
  function close(k: number, id: number): void {
    if (closedLength + STRIDE > closed.length) {
      const bigger = new Float64Array(Math.ceil(closed.length / STRIDE * 1.5) * STRIDE);
      bigger.set(closed);
      closed = bigger;
    }
    const c = closedLength;
    closed[c] = id;
    closed[c + 1] = minuteOf[k]!;
    closed[c + 2] = count[k]!;
    closed[c + 3] = low[k]!;
    closed[c + 4] = high[k]!;
    closed[c + 5] = total(k);
    closedLength += STRIDE;
    count[k] = 0;
    held--;
  }

  return {
    baseSeq,
    get coveredSeq() {
      return coveredSeq;
    },
    get size() {
      return held + closedLength / STRIDE;
    },
    add(samples, pointIds, lastSeq) {
      for (let i = 0; i < samples.length; i++) {
        const s = samples[i]!;
        if (s.quality === 'bad') continue;
        const v = s.value;
        let x: number;
        if (typeof v === 'number') {
          if (Number.isNaN(v)) continue; // SQLite stores NaN as NULL
          x = v;
        } else if (typeof v === 'boolean') x = v ? 1 : 0;
        else continue;
        const id = pointIds[i]!;
        if (id >= capacity) grow(id);
        const minute = Math.floor(s.ts / MINUTE_MS);
        const open = id * SLOTS;
        if (count[open] === 0) {
          start(open, minute, x);
          continue;
        }
        const openMinute = minuteOf[open]!;
        if (minute === openMinute) {
          fold(open, x);
          continue;
        }
        if (minute > openMinute) {
          // time moved on: the open minute is done
          close(open, id);
          start(open, minute, x);
          continue;
        }
        const late = open + 1;
        if (count[late] !== 0) {
          if (minute === minuteOf[late]) {
            fold(late, x);
            continue;
          }
          close(late, id);
        }
        start(late, minute, x);
      }
      coveredSeq = lastSeq;
    },
    forEach(visit) {
      for (let c = 0; c < closedLength; c += STRIDE) {
        visit(closed[c]!, closed[c + 1]!, closed[c + 2]!, closed[c + 3]!, closed[c + 4]!, closed[c + 5]!);
      }
      if (held === 0) return;
      for (let k = 0; k < capacity * SLOTS; k++) {
        if (count[k] !== 0) visit(Math.floor(k / SLOTS), minuteOf[k]!, count[k]!, low[k]!, high[k]!, total(k));
      }
    },
    forEachOf(point, fromMinute, toMinute, visit) {
      for (let c = 0; c < closedLength; c += STRIDE) {
        if (closed[c] !== point) continue;
        const minute = closed[c + 1]!;
        if (minute >= fromMinute && minute <= toMinute) visit(point, minute, closed[c + 2]!, closed[c + 3]!, closed[c + 4]!, closed[c + 5]!);
      }
      if (point >= capacity) return;
      for (let k = point * SLOTS; k < (point + 1) * SLOTS; k++) {
        const minute = minuteOf[k]!;
        if (count[k] !== 0 && minute >= fromMinute && minute <= toMinute) visit(point, minute, count[k]!, low[k]!, high[k]!, total(k));
      }
    },
    clear() {
      count.fill(0);
      held = 0;
      closedLength = 0;
      // A burst (a backlog of late samples) may have grown the list far beyond a normal pass.
      if (closed.length > INITIAL_CLOSED * STRIDE * 64) closed = new Float64Array(INITIAL_CLOSED * STRIDE);
    },
  };
}
