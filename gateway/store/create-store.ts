/**
 * The store: the only writer to the SQLite file. Samples queue in memory and commit in batches
 * (one transaction per commit); subscribers hear about them only after COMMIT returned. With
 * synchronous=FULL that means the batch is on disk; with NORMAL it survives a crash or kill -9 but
 * the last commits may be lost on power loss.
 *
 * This file wires the parts together and runs the background passes (latest-value checkpoints,
 * retention, rollups); the write path is commit-loop.ts, the read path read-side.ts.
 */
import { statSync } from 'node:fs';
import { monotonicOf } from '../../core/clock.js';
import { errorMessage, GatewayError } from '../../core/errors.js';
import { createCommitBus } from './commit-bus.js';
import { createCommitLoop } from './commit-loop.js';
import { createLatestView } from './latest-view.js';
import { createMeta } from './meta.js';
import { createMinuteAccumulator } from './minute-accumulator.js';
import { createPointRegistry } from './point-registry.js';
import { createQueries } from './queries.js';
import { createReadSide } from './read-side.js';
import { createAgeGuard } from './age-guard.js';
import { createRetention, DEFAULT_SHARE_AFTER_STEP } from './retention.js';
import { createRollups, scheduleRollups } from './rollups.js';
import { createExceptionFilter, pacedCheckpoint } from './report-by-exception.js';
import { openDatabase } from './schema.js';
import { createSyncCursors } from './sync-cursors.js';
import type { StoreOptions } from './store-options.js';
import type { Store, StoreStats } from './types.js';
import { createWriter } from './writer.js';

export function createStore(options: StoreOptions): Store {
  const { logger } = options;
  const now = options.now ?? Date.now;

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
  // Every committed sample reaches the rollups through the accumulator, stored or not
  // (report-by-exception). Without a rollup timer nothing would empty it, so rollUp() then folds
  // the stored rows only, as a pass over the table.
  const rollupIntervalMs = options.rollupIntervalMs ?? 60_000;
  const minutes = rollupIntervalMs > 0 ? createMinuteAccumulator(writer.lastReadingSeq()) : undefined;
  const rollups = createRollups(db, meta, points, { ...(minutes && { minutes }), now });
  const cursors = createSyncCursors(db, writer, now);
  const holds = [...(options.retentionHolds ?? [])];

  let readingCount = Number(db.prepare('SELECT count(*) FROM readings').pluck().get());
  let droppedReadings = meta.get('dropped_readings');
  let droppedEvents = meta.get('dropped_events');
  let closed = false;
  const sizeBudget = options.retention.maxSizeMB > 0 ? options.retention.maxSizeMB * 1024 * 1024 : 0;

  const loop = createCommitLoop({
    db,
    writer,
    latest,
    bus,
    logger,
    selfHealth: options.selfHealth,
    now,
    commitIntervalMs: options.commitIntervalMs,
    maxBatch: options.maxBatch,
    maxQueue: options.maxQueue,
    batchCommit: options.batchCommit,
    sizeBudget,
    ...(options.storePolicies && { filter: createExceptionFilter(options.storePolicies) }),
    ...(minutes && { minutes }),
    measureSize() {
      if (!retentionPass && retention.usedBytes() > sizeBudget) startRetentionPass();
    },
    readingsAdded(count) {
      readingCount += count;
    },
  });

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

  /**
   * Stages the minutes the accumulator holds. The next start would aggregate the stored readings
   * among them from the table anyway, but the samples without a row would be lost. No fold: a
   * stop should not cost an hour's fold each time; the first pass after the next start does it.
   */
  function rollUpAtClose(): void {
    if (!minutes) return;
    try {
      rollups.catchUp(writer.lastReadingSeq(), false);
    } catch (err) {
      logger.warn('rollup pass at close failed; the stored readings roll up at the next start', { err: errorMessage(err) });
    }
  }

  function assertOpen(): void {
    if (closed) throw new GatewayError('the store is closed');
  }

  // With report-by-exception few readings are stored: checkpoint by what a reopen would replay.
  let paced = (options.storePolicies?.size ?? 0) > 0;
  const pacedLatest = pacedCheckpoint(() => writer.lastReadingSeq(), checkpointLatest);
  const checkpointTimer = timer(options.latestCheckpointMs ?? 5000, () => (paced ? pacedLatest() : checkpointLatest()));
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
    intervalMs: rollupIntervalMs,
    lastReadingSeq: () => writer.lastReadingSeq(),
    maxAgeDays: options.retention.maxAgeDays,
    now,
    onError: (err) => logger.error('rollup pass failed; it runs again on the next tick', { err: errorMessage(err) }),
  });

  return {
    append(samples) {
      assertOpen();
      loop.append(samples);
    },
    appendEvent(type, data, ts) {
      assertOpen();
      loop.appendEvent(type, data, ts);
    },
    flush() {
      assertOpen();
      loop.flush();
    },
    onCommit: (listener) => bus.subscribe(listener),
    ...createReadSide({ latest, points, queries, cursors, rollups, writer, assertOpen }),
    setRetentionHolds(ids) {
      holds.splice(0, holds.length, ...ids);
    },
    setStorePolicies(policies) {
      assertOpen();
      // A new filter starts without references: each policy point's next reading is stored.
      loop.setFilter(createExceptionFilter(policies));
      paced = policies.size > 0;
    },
    enforceRetention(at) {
      assertOpen();
      for (const _ of retention.steps(at ?? now()));
    },
    stats(): StoreStats {
      const w = loop.stats();
      return {
        lastReadingSeq: writer.lastReadingSeq(),
        lastEventSeq: writer.lastEventSeq(),
        readingCount,
        databaseBytes: fileSize(options.file) + fileSize(`${options.file}-wal`),
        pending: w.pending,
        commits: w.commits,
        droppedByRetention: droppedReadings,
        eventsDroppedByRetention: droppedEvents,
        commitErrors: w.commitErrors,
        lastError: w.lastError,
        failingSince: w.failingSince,
        droppedByOverflow: w.droppedByOverflow,
        maxQueue: w.maxQueue,
      };
    },
    close() {
      if (closed) return;
      const flushed = loop.commitQueued();
      closed = true;
      loop.stop();
      if (checkpointTimer) clearInterval(checkpointTimer);
      if (retentionTimer) clearInterval(retentionTimer);
      stopRollups();
      retentionPass = undefined;
      rollUpAtClose();
      checkpointLatest();
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } catch (err) {
        logger.warn('WAL checkpoint at close failed', { err: errorMessage(err) });
      }
      db.close();
      if (!flushed) {
        const { pending, lastError } = loop.stats();
        throw new GatewayError(`closed with ${pending} samples not committed: ${lastError}`);
      }
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
