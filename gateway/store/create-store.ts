/**
 * The store: the only writer to the SQLite file. Samples queue in memory and commit in batches
 * (one transaction per commit); subscribers hear about them only after COMMIT returned. With
 * synchronous=FULL that means the batch is on disk; with NORMAL it survives a crash or kill -9 but
 * the last commits may be lost on power loss.
 */
import { statSync } from 'node:fs';
import { errorMessage, GatewayError } from '../errors.js';
import type { Sample } from '../types.js';
import { createCommitBus } from './commit-bus.js';
import { createLatestView } from './latest-view.js';
import { createMeta } from './meta.js';
import { createPointRegistry } from './point-registry.js';
import { createQueries } from './queries.js';
import { createSampleGuard } from './sample-guard.js';
import { createRetention } from './retention.js';
import { createRollups, scheduleRollups } from './rollups.js';
import { openDatabase } from './schema.js';
import { createSyncCursors } from './sync-cursors.js';
import type { StoreOptions } from './store-options.js';
import type { Store, StoreStats } from './types.js';
import { createWriter, type PendingEvent, toReadings } from './writer.js';

/** Longest wait between commit retries while commits keep failing. */
const MAX_RETRY_MS = 10_000;

export function createStore(options: StoreOptions): Store {
  const { logger } = options;
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
  let closed = false;
  let commitTimer: NodeJS.Timeout | undefined;
  let commitImmediate: NodeJS.Immediate | undefined;
  const checked = createSampleGuard(logger, now);

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
    commitTimer = undefined;
    commitImmediate = undefined;
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
      commitQueued();
    }, delay);
    commitTimer.unref();
  }

  /** Commits everything queued in one transaction. On failure everything stays queued. */
  function commitQueued(): boolean {
    clearCommitTimers();
    if (queue.length === 0 && events.length === 0 && overflowPending === 0) return true;
    const samples = queue;
    const pending = overflowPending > 0 ? [...events, overflowEvent()] : events;
    let result: ReturnType<typeof writer.commit>;
    try {
      result = writer.commit(samples, pending);
    } catch (err) {
      commitErrors++;
      failuresInARow++;
      const message = errorMessage(err);
      if (message !== lastError) logger.error('commit failed; samples stay queued and will be retried', { err: message, pending: samples.length });
      lastError = message;
      armTimer();
      return false;
    }
    queue = [];
    events = [];
    overflowPending = 0;
    failuresInARow = 0;
    commits++;
    readingCount += samples.length;
    if (lastError !== null) logger.info('commits succeed again', { after: lastError });
    lastError = null;
    latest.apply(samples, result.firstSeq, result.pointIds);
    if (bus.size > 0) bus.publish({ readings: toReadings(samples, result.firstSeq), events: result.events });
    return true;
  }

  function overflowEvent(): PendingEvent {
    return { ts: now(), type: 'store.overflow', data: { dropped: overflowPending, reason: lastError } };
  }

  function afterQueued(): void {
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
  const retentionTimer = timer(options.retentionIntervalMs ?? 60_000, () => {
    if (retentionPass) return;
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
  });

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
        droppedByOverflow: overflowDropped,
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
