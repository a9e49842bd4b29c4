import type { PointValue, Quality, Reading, Sample } from '../../core/types.js';
import type { StorePolicy } from './report-by-exception.js';
import type { RollupBucket } from './rollups.js';

export type { RollupBucket } from './rollups.js';

/** A stored event (alarm transitions, retention drops, ...); events have their own seq stream. */
export interface StoredEvent {
  seq: number;
  ts: number;
  type: string;
  data: Record<string, unknown>;
}

/** The two seq streams upstream sync reads; each has its own seq. */
export type SyncStream = 'readings' | 'events';

/** How far one sync target (a push target or a pull consumer) has acknowledged one stream. */
export interface SyncCursor {
  target: string;
  stream: SyncStream;
  /** highest seq the target acknowledged (0: nothing yet) */
  ackedSeq: number;
  /** ms epoch of the last time the cursor moved */
  updatedAt: number;
}

/** What subscribers hear after a transaction commits. */
export interface CommittedBatch {
  readings: Reading[];
  events: StoredEvent[];
  /**
   * The store's number for readings[i]'s point (numbers are never reused): a subscriber that
   * looks something up per reading may index by it rather than hash the id string.
   */
  pointIds?: Int32Array;
}

export interface LatestValue {
  pointId: string;
  seq: number;
  ts: number;
  value: PointValue;
  quality: Quality;
  reason?: string;
}

export interface StoreStats {
  /** highest committed reading seq (0 when none) */
  lastReadingSeq: number;
  lastEventSeq: number;
  readingCount: number;
  /** bytes used by the database file and its WAL */
  databaseBytes: number;
  /** samples accepted but not yet committed */
  pending: number;
  commits: number;
  /** readings deleted by retention (age or size budget), over the life of the database */
  droppedByRetention: number;
  /** events deleted by the size budget once no reading was left */
  eventsDroppedByRetention: number;
  /** failed commit attempts since open (each retried with the samples kept queued) */
  commitErrors: number;
  /** why the last commit failed; null once commits succeed again */
  lastError: string | null;
  /** ms epoch when commits began failing; null once the backlog is committed again */
  failingSince: number | null;
  /** queued samples dropped because commits kept failing and the queue hit its hard cap */
  droppedByOverflow: number;
  /** the queue's hard cap (`maxQueue`): while commits fail, older samples beyond it are dropped */
  maxQueue: number;
}

export interface Store {
  /** Queues samples; they commit within commitIntervalMs (or sooner when maxBatch is reached). */
  append(samples: readonly Sample[]): void;
  /** Queues an event; it commits with the next transaction. */
  appendEvent(type: string, data: Record<string, unknown>, ts?: number): void;
  /** Commits everything queued now. Throws if the commit fails; the samples then stay queued. */
  flush(): void;
  /** Called after each commit, with what it committed. Returns an unsubscribe function. */
  onCommit(listener: (batch: CommittedBatch) => void): () => void;
  /** The latest committed value of every point (the latest-value view). */
  latest(): LatestValue[];
  latestOf(pointId: string): LatestValue | undefined;
  /**
   * Every point id the database has stored readings for, whether or not the config still has it
   * (a renamed device's old points keep their history, readable as retired points).
   */
  storedPoints(): string[];
  /** Readings of one point with from <= ts <= to, oldest first, at most `limit`. */
  history(pointId: string, from: number, to: number, limit?: number): Reading[];
  /** Readings of several points with from <= ts <= to, in ts order, at most `limit` (one walk of the range). */
  historyOfPoints(pointIds: readonly string[], from: number, to: number, limit?: number): Reading[];
  /** Readings with seq > after, in seq order (the sync outbox and pull API read this). */
  readingsAfter(after: number, limit: number): Reading[];
  eventsAfter(after: number, limit: number): StoredEvent[];
  /**
   * min/max/avg of one point per bucket (`bucketMs`, a multiple of a minute) from the per-minute
   * rollups, for buckets starting in [from, to]. Samples reach the rollups as soon as they are committed.
   */
  rollups(pointId: string, from: number, to: number, bucketMs: number): RollupBucket[];
  /** Rolls up everything committed so far now (it also runs on a timer). */
  rollUp(): void;
  /** Highest seq a sync target acknowledged on a stream (0 when it never did). */
  syncCursor(target: string, stream: SyncStream): number;
  /**
   * Moves a sync target's cursor up to `seq` in one transaction and returns the cursor after it.
   * Never moves it down (a late or repeated ack is harmless); throws if `seq` is beyond the last
   * committed seq of the stream.
   */
  advanceSyncCursor(target: string, stream: SyncStream, seq: number): number;
  syncCursors(): SyncCursor[];
  /** The sync targets and pull consumers whose cursors hold back age retention now (a live config change). */
  setRetentionHolds(ids: readonly string[]): void;
  /**
   * Replaces the report-by-exception policies by point id (a live config change; the store option
   * `storePolicies` at start). Each listed point's next reading is stored, as after a restart.
   */
  setStorePolicies(policies: ReadonlyMap<string, StorePolicy>): void;
  /** Applies the retention policy now (it also runs on a timer). */
  enforceRetention(now?: number): void;
  stats(): StoreStats;
  /** Commits what is queued and closes the database; throws (after closing) if that commit failed. */
  close(): void;
}
