/**
 * The write side of the store: samples and events queue in memory and commit in batches, one
 * transaction per commit, on a timer, on the next event-loop turn, or inside append (see
 * `batchCommit`). While commits fail (commit-faults.ts) the queue is kept, bounded by `maxQueue`,
 * and the backlog then commits in chunks. Subscribers hear of a batch only after its COMMIT returned.
 */
import { GatewayError } from '../../core/errors.js';
import type { Sample } from '../../core/types.js';
import type { CommitBus } from './commit-bus.js';
import { createCommitFaults } from './commit-faults.js';
import type { ExceptionFilter } from './report-by-exception.js';
import type { LatestView } from './latest-view.js';
import type { MinuteAccumulator } from './minute-accumulator.js';
import { createSampleGuard } from './sample-guard.js';
import type { Db } from './schema.js';
import type { StoreOptions } from './store-options.js';
import type { StoreStats } from './types.js';
import { type PendingEvent, toReadings, type Writer } from './writer.js';

/** A backlog commits in chunks for at most this long per event-loop turn, then yields. */
const BACKLOG_SLICE_MS = 50;
/** Rough bytes a reading takes on disk (with its index entry), to decide when to measure the size. */
const BYTES_PER_READING = 64;
/** The size budget is measured again once about this share of it may have been written. */
const SIZE_CHECK_SHARE = 0.05;

export interface CommitLoopDeps
  extends Pick<StoreOptions, 'logger' | 'selfHealth' | 'commitIntervalMs' | 'maxBatch' | 'maxQueue' | 'batchCommit'> {
  db: Db;
  writer: Writer;
  latest: LatestView;
  bus: CommitBus;
  now: () => number;
  /** bytes the database may use (0: no budget); paces measureSize */
  sizeBudget: number;
  /** Measures the database against its budget (and starts retention if it is over). */
  measureSize(): void;
  /** After each commit, before subscribers hear of it: how many readings it added. */
  readingsAdded(count: number): void;
  /** report-by-exception: which samples get a row (absent: every one) */
  filter?: ExceptionFilter;
  /** per-minute rollups of every committed sample, stored or not (absent: rollups from stored rows only) */
  minutes?: MinuteAccumulator;
}

export interface CommitLoop {
  append(samples: readonly Sample[]): void;
  appendEvent(type: string, data: Record<string, unknown>, ts?: number): void;
  /** Commits everything queued now; throws if that fails (the samples stay queued). */
  flush(): void;
  /** Commits everything queued now; false if something is left queued. */
  commitQueued(): boolean;
  /** Stops every timer and retry; what is still queued stays uncommitted. */
  stop(): void;
  /** Replaces the report-by-exception filter (a live config change); undefined: store every sample. */
  setFilter(filter: ExceptionFilter | undefined): void;
  /** The write side's share of the store's stats. */
  stats(): Pick<StoreStats, 'pending' | 'commits' | 'commitErrors' | 'lastError' | 'failingSince' | 'droppedByOverflow' | 'maxQueue'>;
}

export function createCommitLoop(deps: CommitLoopDeps): CommitLoop {
  const { db, writer, latest, bus, logger, selfHealth, now, sizeBudget } = deps;
  const maxBatch = Math.max(1, Math.floor(deps.maxBatch));
  const maxQueue = Math.max(maxBatch * 2, deps.maxQueue ?? 200_000);
  // When appends outrun the event loop (a tight loop), commit inside append rather than let the queue grow.
  const syncCap = Math.min(maxQueue, Math.max(maxBatch * 8, 10_000));
  const batchCommit = deps.batchCommit ?? 'immediate';
  const checked = createSampleGuard(logger, now);
  const faults = createCommitFaults({ db, logger, selfHealth, now, commitIntervalMs: deps.commitIntervalMs, maxQueue });

  let queue: Sample[] = [];
  let events: PendingEvent[] = [];
  let filter = deps.filter;
  let overflowPending = 0;
  let commits = 0;
  let overflowDropped = 0;
  let stopped = false;
  let commitTimer: NodeJS.Timeout | undefined;
  let commitImmediate: NodeJS.Immediate | undefined;
  let backlogImmediate: NodeJS.Immediate | undefined;
  let committing = false;
  /** readings committed since the size budget was last measured (as estimated bytes) */
  let bytesSinceSizeCheck = 0;

  function clearCommitTimers(): void {
    if (commitTimer) clearTimeout(commitTimer);
    if (commitImmediate) clearImmediate(commitImmediate);
    if (backlogImmediate) clearImmediate(backlogImmediate);
    commitTimer = undefined;
    commitImmediate = undefined;
    backlogImmediate = undefined;
  }

  function armTimer(): void {
    if (commitTimer || stopped) return;
    commitTimer = setTimeout(() => {
      commitTimer = undefined;
      commitQueued(BACKLOG_SLICE_MS);
    }, faults.retryDelay());
    commitTimer.unref();
  }

  /**
   * Commits what is queued, one transaction per chunk. Normally that is one chunk (the queue never
   * grows past syncCap while commits work). After a failure the backlog (up to maxQueue) goes in
   * chunks of maxBatch: a full disk with a little space freed can take a small transaction long
   * before it could take the whole backlog in one. `sliceMs` bounds the time spent before the
   * rest continues on the next event-loop turn (flush and close pass Infinity). On failure the
   * uncommitted rest stays queued, in order. Returns true once nothing is left queued.
   */
  function commitQueued(sliceMs = Number.POSITIVE_INFINITY): boolean {
    // A listener that appends or flushes while a chunk is published: the loop below picks it up.
    if (committing) return faults.lastError === null;
    committing = true;
    try {
      return commitLoop(sliceMs);
    } finally {
      committing = false;
    }
  }

  function commitLoop(sliceMs: number): boolean {
    clearCommitTimers();
    const started = performance.now();
    // Committed chunks are cut off the queue once at the end, not one copy per chunk.
    let done = 0;
    let ok = true;
    while (done < queue.length || events.length > 0 || overflowPending > 0) {
      if (performance.now() - started >= sliceMs) {
        backlogImmediate = setImmediate(() => {
          backlogImmediate = undefined;
          commitQueued(BACKLOG_SLICE_MS);
        });
        ok = false;
        break;
      }
      const left = queue.length - done;
      const chunk = faults.failingSince !== null || left > syncCap ? maxBatch : syncCap;
      const part = done === 0 && left <= chunk ? queue : queue.slice(done, done + chunk);
      if (!commitChunk(part, left)) {
        ok = false;
        break;
      }
      done += part.length;
    }
    if (done > 0) queue = done === queue.length ? [] : queue.slice(done);
    if (ok) faults.backlogCommitted();
    return ok;
  }

  /** `queued`: samples still queued, this chunk included (for the fault report). */
  function commitChunk(samples: Sample[], queued: number): boolean {
    const pending = overflowPending > 0 ? [...events, overflowEvent()] : events;
    let result: ReturnType<typeof writer.commit>;
    try {
      result = writer.commit(samples, pending, filter?.select(samples));
    } catch (err) {
      // The references go back too, so the retried chunk is judged the same way.
      filter?.undo();
      faults.failed(err, samples.length, queued);
      armTimer();
      return false;
    }
    filter?.settle();
    // After COMMIT and before anyone hears of it, so a rollup pass a listener starts covers it.
    deps.minutes?.add(samples, result.pointIds, writer.lastReadingSeq());
    events = [];
    overflowPending = 0;
    commits++;
    deps.readingsAdded(result.stored);
    faults.succeeded();
    // Subscribers and the latest view get every sample; those without a row carry seq 0.
    latest.apply(samples, result.firstSeq, result.pointIds, result.seqs);
    if (bus.size > 0) bus.publish({ readings: toReadings(samples, result.firstSeq, result.seqs), events: result.events, pointIds: result.pointIds });
    afterCommitSize(result.stored);
    return true;
  }

  /**
   * Measures the database against its size budget once about 5 % of the budget may have been
   * written since the last measurement, so a small budget is not overrun by a minute of ingest
   * between retention timer runs. Measuring is two PRAGMAs and a stat.
   */
  function afterCommitSize(rows: number): void {
    if (sizeBudget === 0) return;
    bytesSinceSizeCheck += rows * BYTES_PER_READING;
    if (bytesSinceSizeCheck < sizeBudget * SIZE_CHECK_SHARE) return;
    bytesSinceSizeCheck = 0;
    deps.measureSize();
  }

  function overflowEvent(): PendingEvent {
    return { ts: now(), type: 'store.overflow', data: { dropped: overflowPending, reason: faults.lastError } };
  }

  function afterQueued(): void {
    // A backlog is being committed (now, or slice by slice): the new samples join its end.
    if (backlogImmediate || committing) return;
    if (faults.lastError === null) {
      if (queue.length >= syncCap) commitQueued();
      else if (queue.length < maxBatch) armTimer();
      else if (batchCommit === 'sync') commitQueued();
      else if (!commitImmediate) {
        commitImmediate = setImmediate(() => {
          commitImmediate = undefined;
          commitQueued();
        });
      }
    }
    if (faults.lastError !== null) {
      // Commits are failing: retry on the timer only, so a locked or full disk does not stall
      // every append for busyTimeoutMs, and keep memory bounded.
      if (queue.length > maxQueue) shedOldest();
      armTimer();
    }
  }

  function shedOldest(): void {
    const excess = queue.length - maxQueue;
    queue.splice(0, excess);
    overflowPending += excess;
    overflowDropped += excess;
    logger.error('queue full while commits fail; dropping the oldest samples', { dropped: excess, err: faults.lastError });
  }

  return {
    append(samples) {
      for (const s of samples) queue.push(checked(s));
      if (samples.length > 0) afterQueued();
    },
    appendEvent(type, data, ts) {
      // Fail here, at the caller, rather than inside every later commit.
      JSON.stringify(data);
      events.push({ ts: ts ?? now(), type, data });
      armTimer();
    },
    flush() {
      if (!commitQueued()) throw new GatewayError(`commit failed, ${queue.length} samples stay queued: ${faults.lastError}`);
    },
    commitQueued: () => commitQueued(),
    stop() {
      stopped = true;
      clearCommitTimers();
    },
    setFilter(next) {
      filter = next;
    },
    stats: () => ({
      pending: queue.length,
      commits,
      commitErrors: faults.commitErrors,
      lastError: faults.lastError,
      failingSince: faults.failingSince,
      droppedByOverflow: overflowDropped,
      maxQueue,
    }),
  };
}
