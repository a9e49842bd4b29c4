/**
 * The store: the only writer to the SQLite file. Samples queue in memory and commit in batches
 * (one transaction per commit); subscribers hear about them only after COMMIT returned. With
 * synchronous=FULL that means the batch is on disk; with NORMAL it survives a crash or kill -9 but
 * the last commits may be lost on power loss.
 */
import { statSync } from 'node:fs';
import { monotonicOf } from '../../core/clock.js';
import { errorMessage, GatewayError } from '../../core/errors.js';
import type { Sample } from '../../core/types.js';
import { createCommitBus } from './commit-bus.js';
import { createLatestView } from './latest-view.js';
import { createMeta } from './meta.js';
import { createPointRegistry } from './point-registry.js';
import { createQueries } from './queries.js';
import { createSampleGuard } from './sample-guard.js';
import { createAgeGuard } from './age-guard.js';
import { createRetention, DEFAULT_SHARE_AFTER_STEP } from './retention.js';
import { createRollups, scheduleRollups } from './rollups.js';
import { openDatabase } from './schema.js';
import { createSyncCursors } from './sync-cursors.js';
import type { StoreOptions } from './store-options.js';
import type { Store, StoreStats } from './types.js';
import { createWriter, type PendingEvent, toReadings } from './writer.js';

/** Longest wait between commit retries while commits keep failing. */
const MAX_RETRY_MS = 10_000;
/** A backlog commits in chunks for at most this long per event-loop turn, then yields. */
const BACKLOG_SLICE_MS = 50;
/** Rough bytes a reading takes on disk (with its index entry), to decide when to measure the size. */
const BYTES_PER_READING = 64;
/** The size budget is measured again once about this share of it may have been written. */
const SIZE_CHECK_SHARE = 0.05;

export function createStore(options: StoreOptions): Store {
  const { logger, selfHealth } = options;
  const now = options.now ?? Date.now;
  const maxBatch = Math.max(1, Math.floor(options.maxBatch));
  const maxQueue = Math.max(maxBatch * 2, options.maxQueue ?? 200_000);
  // When appends outrun the event loop (a tight loop), commit inside append rather than let the queue grow.
  const syncCap = Math.min(maxQueue, Math.max(maxBatch * 8, 10_000));
  const batchCommit = options.batchCommit ?? 'immediate';

  const db = openDatabase(options.file, {
    synchronous: options.synchronous,
    busyTimeoutMs: options.busyTimeoutMs ?? 1000,
    cacheKiB: options.cacheKiB ?? 2048,
    logger,
  });
  const meta = createMeta(db);
  const points = createPointRegistry(db);
  const writer = createWriter(db, meta, points);
  const latest = createLatestView(db, meta, points);
  const queries = createQueries(db, points);
  const bus = createCommitBus(logger);
  const rollups = createRollups(db, meta, points);
  const cursors = createSyncCursors(db, writer, now);
  const holds = [...(options.retentionHolds ?? [])];

  let queue: Sample[] = [];
  let events: PendingEvent[] = [];
  let overflowPending = 0;
  let readingCount = Number(db.prepare('SELECT count(*) FROM readings').pluck().get());
  let droppedReadings = meta.get('dropped_readings');
  let droppedEvents = meta.get('dropped_events');
  let commits = 0;
  let commitErrors = 0;
  let failuresInARow = 0;
  let overflowDropped = 0;
  let lastError: string | null = null;
  /** ms epoch when the current streak of failed commits began */
  let failingSince: number | null = null;
  let closed = false;
  let commitTimer: NodeJS.Timeout | undefined;
  let commitImmediate: NodeJS.Immediate | undefined;
  let backlogImmediate: NodeJS.Immediate | undefined;
  let committing = false;
  /** readings committed since the size budget was last measured (as estimated bytes) */
  let bytesSinceSizeCheck = 0;
  const sizeBudget = options.retention.maxSizeMB > 0 ? options.retention.maxSizeMB * 1024 * 1024 : 0;
  const checked = createSampleGuard(logger, now);
  // Age retention after wall-clock steps: this run's readings age on the monotonic clock.
  const ageGuard =
    (options.clockSafeRetention ?? true)
      ? createAgeGuard({
          wall: now,
          mono: monotonicOf(options),
          lastSeqAtStart: writer.lastReadingSeq(),
          maxAgeDays: options.retention.maxAgeDays,
          maxShareAfterStep: options.retention.maxShareAfterStep ?? DEFAULT_SHARE_AFTER_STEP,
          lastSeq: () => writer.lastReadingSeq(),
          readingCount: () => readingCount,
        })
      : undefined;

  const retention = createRetention({
    db,
    file: options.file,
    writer,
    meta,
    policy: options.retention,
    chunk: Math.max(1, options.retentionChunk ?? 10_000),
    logger,
    now,
    beforeDelete: () => checkpointLatest(),
    holdSeq: () => (holds.length === 0 ? Number.MAX_SAFE_INTEGER : cursors.readingsFloor(holds)),
    ...(ageGuard && { ageLimit: ageGuard.pass }),
    dropped(stream, count, stored) {
      if (stream === 'readings') {
        droppedReadings += count;
        readingCount -= count;
      } else droppedEvents += count;
      bus.publish({ readings: [], events: stored });
    },
  });

  function checkpointLatest(): void {
    try {
      latest.checkpoint(writer.lastReadingSeq());
    } catch (err) {
      // Not fatal: on the next open the view is rebuilt from the readings after the last checkpoint.
      logger.warn('latest-value checkpoint failed', { err: errorMessage(err) });
    }
  }

  function clearCommitTimers(): void {
    if (commitTimer) clearTimeout(commitTimer);
    if (commitImmediate) clearImmediate(commitImmediate);
    if (backlogImmediate) clearImmediate(backlogImmediate);
    commitTimer = undefined;
    commitImmediate = undefined;
    backlogImmediate = undefined;
  }

  function armTimer(): void {
    if (commitTimer || closed) return;
    // While commits fail, back off: a locked database blocks each attempt for busyTimeoutMs.
    const delay =
      failuresInARow === 0
        ? options.commitIntervalMs
        : Math.max(options.commitIntervalMs, Math.min(options.commitIntervalMs * 2 ** failuresInARow, MAX_RETRY_MS));
    commitTimer = setTimeout(() => {
      commitTimer = undefined;
      commitQueued(BACKLOG_SLICE_MS);
    }, delay);
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
    if (committing) return lastError === null;
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
      const chunk = failingSince !== null || left > syncCap ? maxBatch : syncCap;
      const part = done === 0 && left <= chunk ? queue : queue.slice(done, done + chunk);
      if (!commitChunk(part, left)) {
        ok = false;
        break;
      }
      done += part.length;
    }
    if (done > 0) queue = done === queue.length ? [] : queue.slice(done);
    if (ok && failingSince !== null) {
      logger.info('commits succeed again', { backlogCommitted: true, failedForMs: now() - failingSince });
      failingSince = null;
      selfHealth?.clear('storage');
    }
    return ok;
  }

  /** `queued`: samples still queued, this chunk included (for the fault report). */
  function commitChunk(samples: Sample[], queued: number): boolean {
    const pending = overflowPending > 0 ? [...events, overflowEvent()] : events;
    let result: ReturnType<typeof writer.commit>;
    try {
      result = writer.commit(samples, pending);
    } catch (err) {
      commitFailed(err, samples.length, queued);
      return false;
    }
    events = [];
    overflowPending = 0;
    failuresInARow = 0;
    commits++;
    readingCount += samples.length;
    lastError = null;
    latest.apply(samples, result.firstSeq, result.pointIds);
    if (bus.size > 0) bus.publish({ readings: toReadings(samples, result.firstSeq), events: result.events });
    afterCommitSize(samples.length);
    return true;
  }

  function commitFailed(err: unknown, chunkSize: number, queued: number): void {
    commitErrors++;
    failuresInARow++;
    const message = errorMessage(err);
    if (message !== lastError) {
      logger.error('commit failed; samples stay queued and will be retried', { err: message, pending: queued, chunk: chunkSize });
    }
    failingSince ??= now();
    lastError = message;
    selfHealth?.raise('storage', `database commits failing: ${message}; ${queued} samples queued (at most ${maxQueue} are kept)`);
    // A WAL that grew before the disk filled can give its space back (no data is lost).
    if (/full/i.test(message)) {
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // the disk is full or a reader holds the WAL: the retry tries again
      }
    }
    armTimer();
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
    if (!retentionPass && retention.usedBytes() > sizeBudget) startRetentionPass();
  }

  function overflowEvent(): PendingEvent {
    return { ts: now(), type: 'store.overflow', data: { dropped: overflowPending, reason: lastError } };
  }

  function afterQueued(): void {
    // A backlog is being committed (now, or slice by slice): the new samples join its end.
    if (backlogImmediate || committing) return;
    if (lastError === null) {
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
    if (lastError !== null) {
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
    logger.error('queue full while commits fail; dropping the oldest samples', { dropped: excess, err: lastError });
  }

  function assertOpen(): void {
    if (closed) throw new GatewayError('the store is closed');
  }

  const checkpointTimer = timer(options.latestCheckpointMs ?? 5000, checkpointLatest);
  let retentionPass: Generator<void, void> | undefined;
  function startRetentionPass(): void {
    if (retentionPass || closed) return;
    retentionPass = retention.steps(now());
    const step = () => {
      if (closed || !retentionPass) return;
      try {
        if (retentionPass.next().done) retentionPass = undefined;
        else setImmediate(step).unref();
      } catch (err) {
        retentionPass = undefined;
        logger.error('retention pass failed; it runs again on the next tick', { err: errorMessage(err) });
      }
    };
    step();
  }
  const retentionTimer = timer(options.retentionIntervalMs ?? 60_000, startRetentionPass);

  const stopRollups = scheduleRollups({
    rollups,
    intervalMs: options.rollupIntervalMs ?? 10_000,
    lastReadingSeq: () => writer.lastReadingSeq(),
    maxAgeDays: options.retention.maxAgeDays,
    now,
    onError: (err) => logger.error('rollup pass failed; it runs again on the next tick', { err: errorMessage(err) }),
  });

  return {
    append(samples) {
      assertOpen();
      for (const s of samples) queue.push(checked(s));
      if (samples.length > 0) afterQueued();
    },
    appendEvent(type, data, ts) {
      assertOpen();
      // Fail here, at the caller, rather than inside every later commit.
      JSON.stringify(data);
      events.push({ ts: ts ?? now(), type, data });
      armTimer();
    },
    flush() {
      assertOpen();
      if (!commitQueued()) throw new GatewayError(`commit failed, ${queue.length} samples stay queued: ${lastError}`);
    },
    onCommit: (listener) => bus.subscribe(listener),
    latest: () => latest.all(),
    latestOf: (pointId) => latest.of(pointId),
    storedPoints: () => points.names(),
    history(pointId, from, to, limit = 10_000) {
      assertOpen();
      return queries.history(pointId, from, to, limit);
    },
    readingsAfter(after, limit) {
      assertOpen();
      return queries.readingsAfter(after, limit);
    },
    eventsAfter(after, limit) {
      assertOpen();
      return queries.eventsAfter(after, limit);
    },
    syncCursor(target, stream) {
      assertOpen();
      return cursors.get(target, stream);
    },
    advanceSyncCursor(target, stream, seq) {
      assertOpen();
      return cursors.advance(target, stream, seq);
    },
    syncCursors() {
      assertOpen();
      return cursors.all();
    },
    rollups(pointId, from, to, bucketMs) {
      assertOpen();
      return rollups.query(pointId, from, to, bucketMs);
    },
    rollUp() {
      assertOpen();
      rollups.catchUp(writer.lastReadingSeq());
    },
    enforceRetention(at) {
      assertOpen();
      for (const _ of retention.steps(at ?? now()));
    },
    stats(): StoreStats {
      return {
        lastReadingSeq: writer.lastReadingSeq(),
        lastEventSeq: writer.lastEventSeq(),
        readingCount,
        databaseBytes: fileSize(options.file) + fileSize(`${options.file}-wal`),
        pending: queue.length,
        commits,
        droppedByRetention: droppedReadings,
        eventsDroppedByRetention: droppedEvents,
        commitErrors,
        lastError,
        failingSince,
        droppedByOverflow: overflowDropped,
        maxQueue,
      };
    },
    close() {
      if (closed) return;
      const flushed = commitQueued();
      closed = true;
      clearCommitTimers();
      if (checkpointTimer) clearInterval(checkpointTimer);
      if (retentionTimer) clearInterval(retentionTimer);
      stopRollups();
      retentionPass = undefined;
      checkpointLatest();
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } catch (err) {
        logger.warn('WAL checkpoint at close failed', { err: errorMessage(err) });
      }
      db.close();
      if (!flushed) throw new GatewayError(`closed with ${queue.length} samples not committed: ${lastError}`);
    },
  };
}

function timer(intervalMs: number, fn: () => void): NodeJS.Timeout | undefined {
  if (!(intervalMs > 0)) return undefined;
  const t = setInterval(fn, intervalMs);
  t.unref();
  return t;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
