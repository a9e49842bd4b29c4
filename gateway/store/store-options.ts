/**
 * What createStore takes; synchronous, commitIntervalMs, maxBatch and retention come from the
 * `storage` section of the site config.
 */
import type { Logger } from '../../core/logger.js';
import type { SelfHealth } from '../../core/self-health.js';
import type { StorePolicy } from './report-by-exception.js';
import type { RetentionPolicy } from './retention.js';

export interface StoreOptions {
  file: string;
  synchronous: 'full' | 'normal';
  /** longest a sample waits before its transaction commits */
  commitIntervalMs: number;
  /** a commit starts as soon as this many samples are queued */
  maxBatch: number;
  retention: RetentionPolicy;
  logger: Logger;
  /** wall clock: event timestamps and what age retention ages readings against */
  now?: () => number;
  /** monotonic clock (gateway/clock.ts): how old this run's readings really are */
  monoNow?: () => number;
  /**
   * Age retention guards against wall-clock steps (age-guard.ts): this run's readings are aged on
   * the monotonic clock, and after a step one pass deletes at most retention.maxShareAfterStep.
   * Default true; tests that backfill history with old timestamps in one run turn it off.
   */
  clockSafeRetention?: boolean;
  /** default 1000; a commit blocked longer than this by another connection fails and is retried */
  busyTimeoutMs?: number;
  /** SQLite page cache, default 2 MiB: ingest appends at the right edge of its B-trees, so a small cache suffices and the RAM goes to the rest of a Pi */
  cacheKiB?: number;
  /** how often the latest-value table is checkpointed, default 5000 (0: only at close) */
  latestCheckpointMs?: number;
  /** how often retention runs, default 60000 (0: only when enforceRetention is called) */
  retentionIntervalMs?: number;
  /**
   * how often the rollup pass runs, default 60000: each pass stages the minutes held in memory
   * (a crash loses at most one pass of samples without a row; stored readings are never lost)
   * and folds closed 3 h spans into the per-point table (a shorter pass rewrites the same staged
   * pages more often: 10000 wrote ~4× the staging bytes at 10 k points) (0: no pass and no accumulator, rollUp() aggregates the stored readings only)
   */
  rollupIntervalMs?: number;
  /** rows deleted per retention transaction, default 10000 */
  retentionChunk?: number;
  /**
   * Hard cap on queued samples while commits keep failing (disk full, locked). Beyond it the
   * oldest queued samples are dropped, counted and recorded as a `store.overflow` event, because
   * running out of memory would lose everything. Default 200000.
   */
  maxQueue?: number;
  /**
   * What happens when maxBatch samples are queued: `immediate` commits on the next event-loop
   * turn (appends from the same turn join the batch), `sync` commits inside append().
   */
  batchCommit?: 'immediate' | 'sync';
  /**
   * Sync targets whose acknowledgements hold back age retention: a reading none of them has
   * acknowledged is never deleted by age (the size budget still applies). Default: none.
   */
  retentionHolds?: readonly string[];
  /**
   * Report-by-exception storage by point id (report-by-exception.ts; config: a point's `store:`).
   * A listed point gets a row only when it moved beyond its deadband, its heartbeat is due or its
   * quality changed; subscribers and the latest view still get every sample. Default: none, every
   * sample is stored.
   */
  storePolicies?: ReadonlyMap<string, StorePolicy>;
  /**
   * Where the store reports its own fault: `storage` is raised while commits fail (disk full,
   * locked) and cleared once the backlog is committed again.
   */
  selfHealth?: Pick<SelfHealth, 'raise' | 'clear'>;
}
