/**
 * Per-minute rollups (count, min, max, sum) of every numeric point, so a 7-day trend reads ~10 k
 * rows per point instead of 600 k raw readings (and does not scan every other point's readings in
 * the (ts, point) index). Two tables hold them, and a query adds both up:
 *
 * - `rollups_recent`, keyed (minute, point): every pass (60 s) upserts what the minute accumulator
 *   holds there, in one transaction with `rollup_seq`, the last reading seq covered. New minutes
 *   append at the right edge of the tree, so a pass writes the pages of the minutes it carries
 *   (~100 at 10 k points) however much history the store has.
 * - `rollups_1m`, clustered by (point, minute): one point's range is a direct lookup. Writing it
 *   rewrites a few pages per point touched (a leaf and its siblings when it splits), ~8 KB each
 *   with the WAL checkpoint, whether a point brings 60 new minutes or 180, so at 10 k points it is
 *   written once every FOLD_SPAN_MINUTES (3 h): a fold moves the staged minutes of closed spans in, sorted by point, ~FOLD_CHUNK_ROWS rows per transaction (a
 *   one-statement fold of an hour held the event loop for seconds and sorted 600 k rows in RAM).
 *   Which minutes and how many points are done is kept in `meta` with each chunk; the last
 *   transaction deletes the minutes from staging. Until then queries skip the staged rows of the
 *   points done, so every bucket counts once, also across a kill -9 mid-fold (the next start
 *   resumes it before it stages anything).
 *
 * While the store runs, the commit loop folds every committed sample, stored or not, into the
 * minute accumulator (minute-accumulator.ts). A point stored by exception then still has a bucket
 * for every minute it reported in. Queries add the buckets it holds, so what is committed is in
 * the rollups at once.
 *
 * kill -9: readings committed before this run started and not yet rolled up are aggregated from
 * the `readings` table by seq (seq > rollup_seq) into staging, before the accumulator's first
 * write: the stored rows the last run had not written, each once. Samples that got no row and were
 * not yet staged (at most one pass) are lost with the process.
 *
 * Without an accumulator (rollupIntervalMs: 0, benches and tests that want no background work)
 * every pass aggregates the stored rows that way. Going by seq or by commit, never by time, files
 * a late timestamp under its own minute.
 */
import type { Meta } from './meta.js';
import type { MinuteAccumulator } from './minute-accumulator.js';
import type { PointRegistry } from './point-registry.js';
import type { Db } from './schema.js';

export const ROLLUP_MS = 60_000;
/**
 * Staged minutes are folded into rollups_1m by whole spans of this many minutes (UTC-aligned):
 * those before the current span. A fold rewrites a few pages per point however many minutes it
 * moves, so 3 h instead of 1 h cut its share of the disk writes by ~3 (the RBE disk bench); what
 * it costs is a staging table of up to 3 h of every point (~1.8 M rows at 10 k points), which a
 * query reads by minute key and a fold moves in ~150 short transactions.
 */
export const FOLD_SPAN_MINUTES = 180;
/**
 * Rows per fold transaction, about: 12 k rows (an hour of 200 points, 3 h of 67) sort in ~0.5 MB and move in
 * ~0.1-0.3 s. Points are dense ids, so a chunk is a range of them sized by the rows to fold.
 */
export const FOLD_CHUNK_ROWS = 12_000;

/** One bucket of a rolled-up range. `ts` is the bucket start (ms epoch). */
export interface RollupBucket {
  ts: number;
  count: number;
  min: number;
  max: number;
  avg: number;
}

export interface Rollups {
  /**
   * Does the next piece of rollup work and returns how much it did (0: nothing left): a chunk of
   * a fold in progress first, then the stored rows committed before the accumulator started (at
   * most `chunk` seqs), then the accumulator's buckets (staged, returns 0 unless a fold is due
   * and `fold` is true, which starts it).
   */
  step(upToSeq: number, fold?: boolean): number;
  /** Runs step until everything committed so far is staged and (unless `fold` is false) folded. */
  catchUp(upToSeq: number, fold?: boolean): void;
  /** Buckets the accumulator holds, not yet staged. */
  held(): number;
  /** Buckets of `bucketMs` (a multiple of a minute) whose start lies in [from, to]. */
  query(pointId: string, from: number, to: number, bucketMs: number): RollupBucket[];
  /** Deletes rollups of minutes before `before` (ms epoch), staged or folded. */
  deleteBefore(before: number): number;
  /** The last reading seq folded into the rollups. */
  rolledUpTo(): number;
}

export interface RollupSources {
  /** every committed sample since the store opened (absent: the stored rows only) */
  minutes?: MinuteAccumulator;
  /** most seqs one step aggregates from the table */
  chunk?: number;
  /** wall clock (ms epoch): which spans are closed, to fold */
  now?: () => number;
}

const UPSERT_ADDING = 'n = n + excluded.n, vmin = min(vmin, excluded.vmin), vmax = max(vmax, excluded.vmax), vsum = vsum + excluded.vsum';

/**
 * The minutes of staging, [@lo, @hi], one row each: the outer loop of a key lookup per minute, as
 * rollups_recent is keyed by minute first (`point = ?` alone would read every point's rows).
 */
const STAGED_MINUTES = 'staged(minute) AS (SELECT CAST(@lo AS INTEGER) WHERE @lo <= @hi UNION ALL SELECT minute + 1 FROM staged WHERE minute < @hi)';

/** One point's buckets from both tables; exported for the query-plan test. */
export const ROLLUP_QUERY_SQL = `WITH RECURSIVE ${STAGED_MINUTES}
  SELECT (minute / CAST(@per AS INTEGER)) * CAST(@per AS INTEGER) AS bucket, sum(n), min(vmin), max(vmax), sum(vsum) FROM (
    SELECT minute, n, vmin, vmax, vsum FROM rollups_1m WHERE point = @point AND minute >= @from AND minute <= @to
    UNION ALL
    SELECT r.minute, r.n, r.vmin, r.vmax, r.vsum FROM staged CROSS JOIN rollups_recent r ON r.minute = staged.minute AND r.point = @point
    WHERE NOT (r.minute < @foldBefore AND r.point <= @foldDone)
  ) GROUP BY bucket ORDER BY bucket`;

/** One fold chunk: points (@done, @upTo], minutes [@lo, @hi], by point so rollups_1m is walked once. */
export const FOLD_CHUNK_SQL = `WITH RECURSIVE ${STAGED_MINUTES}
  INSERT INTO rollups_1m (point, minute, n, vmin, vmax, vsum)
  SELECT r.point, r.minute, r.n, r.vmin, r.vmax, r.vsum FROM staged CROSS JOIN rollups_recent r
    ON r.minute = staged.minute AND r.point > @done AND r.point <= @upTo
  WHERE true ORDER BY r.point, r.minute
  ON CONFLICT (point, minute) DO UPDATE SET ${UPSERT_ADDING}`;

export function createRollups(db: Db, meta: Meta, points: PointRegistry, sources: RollupSources = {}): Rollups {
  const { minutes, chunk = 50_000, now = Date.now } = sources;
  // Booleans are stored as 0/1 integers, so they roll up too (avg = share of the time true).
  // Bad readings carry no value worth averaging; text never rolls up.
  const aggregate = db
    .prepare(
      `SELECT ts / ${ROLLUP_MS} AS minute, point, count(*), min(value), max(value), sum(value) FROM readings
       WHERE seq > ? AND seq <= ? AND (quality & 3) <> 2 AND typeof(value) IN ('integer', 'real')
       GROUP BY minute, point`,
    )
    .raw();
  const stage = db.prepare(
    `INSERT INTO rollups_recent (minute, point, n, vmin, vmax, vsum) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (minute, point) DO UPDATE SET ${UPSERT_ADDING}`,
  );
  const foldChunk = db.prepare(FOLD_CHUNK_SQL);
  const deleteStaged = db.prepare('DELETE FROM rollups_recent WHERE minute < ?');
  const oldestStaged = db.prepare('SELECT min(minute) FROM rollups_recent').pluck();
  const stagedSpan = db.prepare('SELECT (SELECT min(minute) FROM rollups_recent), (SELECT max(minute) FROM rollups_recent)').raw();
  const lastPointId = db.prepare('SELECT max(id) FROM points').pluck();
  const select = db.prepare(ROLLUP_QUERY_SQL).raw();
  const pointIds = db.prepare('SELECT id FROM points').pluck();
  const deleteOld = db.prepare('DELETE FROM rollups_1m WHERE point = ? AND minute < ?');
  // The fold's progress, beside rollup_seq in meta: the minutes it moves (those before
  // `rollup_fold_before`, 0: no fold) and the points done (ids up to `rollup_fold_point`).
  const readMeta = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
  const writeMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  const stagedBefore = db.prepare('SELECT count(*) FROM rollups_recent WHERE minute < ?').pluck();
  /** the fold in progress: minutes before `before` (0: none), point ids up to `done` moved, `points` per chunk */
  const folding = { before: Number(readMeta.get('rollup_fold_before') ?? 0), done: Number(readMeta.get('rollup_fold_point') ?? 0), points: 0 };

  const pass = db.transaction((from: number, to: number) => {
    // all(), not iterate(): the connection cannot write while a statement is still reading.
    for (const row of aggregate.all(from, to) as [number, number, number, number, number, number][]) {
      stage.run(row[0], row[1], row[2], row[3], row[4], row[5]);
    }
    meta.set('rollup_seq', to);
  });

  // The accumulator's buckets and how far they reach, in one transaction: after a kill -9 the
  // restart aggregates exactly the stored rows after rollup_seq, so none is counted twice.
  const write = db.transaction((acc: MinuteAccumulator, from: number) => {
    acc.forEach((point, minute, n, min, max, sum) => {
      stage.run(minute, point, n, min, max, sum);
    });
    if (acc.coveredSeq > from) meta.set('rollup_seq', acc.coveredSeq);
  });

  const setFold = (before: number, done: number) => {
    writeMeta.run('rollup_fold_before', before);
    writeMeta.run('rollup_fold_point', done);
  };
  const moveChunk = db.transaction((before: number, done: number, upTo: number): number => {
    const lo = Number(oldestStaged.get() ?? before);
    const moved = foldChunk.run({ lo, hi: before - 1, done, upTo }).changes;
    setFold(before, upTo);
    return moved;
  });
  const finishFold = db.transaction((before: number): number => {
    const deleted = deleteStaged.run(before).changes;
    setFold(0, 0);
    return deleted;
  });

  /** The next chunk of the fold in progress, or its end; returns at least 1 (work was done). */
  function foldNext(): number {
    const lastId = Number(lastPointId.get() ?? 0);
    if (folding.done < lastId) {
      // sized once per run of a fold: a few late rows fold in one chunk, a span of 10 k points in ~150
      if (folding.points === 0) folding.points = Math.max(1, Math.floor((lastId * FOLD_CHUNK_ROWS) / Math.max(1, Number(stagedBefore.get(folding.before)))));
      const upTo = folding.done + folding.points;
      const moved = moveChunk.immediate(folding.before, folding.done, upTo);
      folding.done = upTo; // only after COMMIT, as below
      return Math.max(1, moved);
    }
    const deleted = finishFold.immediate(folding.before);
    folding.before = 0;
    folding.done = 0;
    folding.points = 0;
    return Math.max(1, deleted);
  }

  function foldDue(): number {
    const spanStart = Math.floor(now() / ROLLUP_MS / FOLD_SPAN_MINUTES) * FOLD_SPAN_MINUTES;
    const oldest = oldestStaged.get() as number | null;
    return oldest !== null && oldest < spanStart ? spanStart : 0;
  }

  function step(upToSeq: number, fold = true): number {
    // A fold in progress (this run's, or one a kill -9 interrupted) ends before anything is
    // staged: rows staged meanwhile under its minutes would be deleted with them, unfolded.
    if (folding.before > 0) return foldNext();
    const from = meta.get('rollup_seq');
    // Rows committed after the accumulator started are in it: the table is read only below it.
    const tableTo = minutes ? Math.min(upToSeq, minutes.baseSeq) : upToSeq;
    if (tableTo > from) {
      const to = Math.min(tableTo, from + chunk);
      pass.immediate(from, to);
      return to - from;
    }
    if (minutes && from >= minutes.baseSeq && (minutes.size > 0 || minutes.coveredSeq > from)) {
      write.immediate(minutes, from);
      // Only after COMMIT: a failed write keeps the buckets for the next pass.
      minutes.clear();
    }
    const before = fold ? foldDue() : 0;
    if (before === 0) return 0;
    // meta learns of the fold with its first chunk: a kill before that leaves nothing to resume
    folding.before = before;
    folding.done = 0;
    return 1;
  }

  return {
    step,
    catchUp(upToSeq, fold = true) {
      while (step(upToSeq, fold) > 0);
    },
    query(pointId, from, to, bucketMs) {
      const id = points.idOf(pointId);
      if (id === undefined) return [];
      const per = Math.max(1, Math.round(bucketMs / ROLLUP_MS));
      const fromMinute = Math.floor(from / ROLLUP_MS);
      const toMinute = Math.floor(to / ROLLUP_MS);
      const [first, last] = stagedSpan.get() as [number | null, number | null];
      const lo = first === null ? 1 : Math.max(fromMinute, first);
      const hi = last === null ? 0 : Math.min(toMinute, last);
      const rows = select.all({ per, point: id, from: fromMinute, to: toMinute, lo, hi, foldBefore: folding.before, foldDone: folding.done }) as BucketRow[];
      if (minutes !== undefined && minutes.size > 0) addHeld(rows, minutes, id, fromMinute, toMinute, per);
      return rows.map(([bucket, n, min, max, sum]) => ({ ts: bucket * ROLLUP_MS, count: n, min, max, avg: sum / n }));
    },
    deleteBefore(before) {
      const minute = Math.floor(before / ROLLUP_MS);
      let deleted = 0;
      db.transaction(() => {
        for (const id of pointIds.all() as number[]) deleted += deleteOld.run(id, minute).changes;
        deleted += deleteStaged.run(minute).changes;
      }).immediate();
      return deleted;
    },
    rolledUpTo: () => meta.get('rollup_seq'),
    held: () => minutes?.size ?? 0,
  };
}

type BucketRow = [bucket: number, n: number, min: number, max: number, sum: number];

/** Adds the accumulator's unwritten buckets of one point to a query's rows (bucket order kept). */
function addHeld(rows: BucketRow[], minutes: MinuteAccumulator, point: number, fromMinute: number, toMinute: number, per: number): void {
  const byBucket = new Map<number, BucketRow>();
  for (const row of rows) byBucket.set(row[0], row);
  let added = false;
  minutes.forEachOf(point, fromMinute, toMinute, (_point, minute, n, min, max, sum) => {
    const bucket = Math.floor(minute / per) * per;
    const row = byBucket.get(bucket);
    if (row === undefined) {
      const fresh: BucketRow = [bucket, n, min, max, sum];
      byBucket.set(bucket, fresh);
      rows.push(fresh);
      added = true;
      return;
    }
    row[1] += n;
    if (min < row[2]) row[2] = min;
    if (max > row[3]) row[3] = max;
    row[4] += sum;
  });
  if (added) rows.sort((a, b) => a[0] - b[0]);
}

export interface RollupScheduleOptions {
  rollups: Rollups;
  /** how often a pass starts (0: only when asked) */
  intervalMs: number;
  lastReadingSeq: () => number;
  /** rollups older than this are deleted, like readings (0: kept) */
  maxAgeDays: number;
  now: () => number;
  onError: (err: unknown) => void;
}

/** How often old rollups are pruned: they age by the minute, so an hour late costs nothing. */
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Runs rollup passes on a timer, one chunk per event-loop turn so a big backlog (after a restart
 * or a burst) never holds the loop for long. Each pass stages what the accumulator holds, then
 * folds closed spans (every FOLD_SPAN_MINUTES; at the first pass after a start that missed one).
 * Returns a stop function.
 */
export function scheduleRollups(o: RollupScheduleOptions): () => void {
  if (!(o.intervalMs > 0)) return () => {};
  let stopped = false;
  let running = false;
  let lastPrune = 0;
  const run = () => {
    if (stopped || running) return;
    running = true;
    const target = o.lastReadingSeq();
    const next = () => {
      if (stopped) return;
      try {
        if (o.rollups.step(target) > 0) {
          setImmediate(next).unref();
          return;
        }
        if (o.maxAgeDays > 0 && o.now() - lastPrune >= PRUNE_EVERY_MS) {
          lastPrune = o.now();
          o.rollups.deleteBefore(o.now() - o.maxAgeDays * 86_400_000);
        }
      } catch (err) {
        o.onError(err);
      }
      running = false;
    };
    next();
  };
  const timer = setInterval(run, o.intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
