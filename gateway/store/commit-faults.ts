/**
 * How the store's commits are faring. While they fail (disk full, database locked) each distinct
 * error is logged once, the `storage` self-health fault is raised and retries back off; once the
 * backlog is committed again the fault is cleared. The commit loop asks it how long to wait.
 */
import { errorMessage } from '../../core/errors.js';
import type { Db } from './schema.js';
import type { StoreOptions } from './store-options.js';

/** Longest wait between commit retries while commits keep failing. */
const MAX_RETRY_MS = 10_000;

export interface CommitFaultsDeps extends Pick<StoreOptions, 'logger' | 'selfHealth' | 'commitIntervalMs'> {
  db: Db;
  now: () => number;
  /** the queue's hard cap, for the fault report */
  maxQueue: number;
}

export interface CommitFaults {
  /** why the last commit failed; null once one succeeds */
  readonly lastError: string | null;
  /** ms epoch when the current streak of failed commits began; null once the backlog is committed */
  readonly failingSince: number | null;
  /** failed commit attempts since open */
  readonly commitErrors: number;
  /** How long the commit timer waits: commitIntervalMs, longer while commits keep failing. */
  retryDelay(): number;
  /** `queued`: samples still queued, the failed chunk included. */
  failed(err: unknown, chunkSize: number, queued: number): void;
  succeeded(): void;
  /** Nothing is left queued: a failing streak, if any, is over. */
  backlogCommitted(): void;
}

export function createCommitFaults(deps: CommitFaultsDeps): CommitFaults {
  const { db, logger, selfHealth, now, commitIntervalMs, maxQueue } = deps;
  let commitErrors = 0;
  let failuresInARow = 0;
  let lastError: string | null = null;
  let failingSince: number | null = null;

  return {
    get lastError() {
      return lastError;
    },
    get failingSince() {
      return failingSince;
    },
    get commitErrors() {
      return commitErrors;
    },
    retryDelay() {
      // While commits fail, back off: a locked database blocks each attempt for busyTimeoutMs.
      return failuresInARow === 0
        ? commitIntervalMs
        : Math.max(commitIntervalMs, Math.min(commitIntervalMs * 2 ** failuresInARow, MAX_RETRY_MS));
    },
    failed(err, chunkSize, queued) {
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
    },
    succeeded() {
      failuresInARow = 0;
      lastError = null;
    },
    backlogCommitted() {
      if (failingSince === null) return;
      logger.info('commits succeed again', { backlogCommitted: true, failedForMs: now() - failingSince });
      failingSince = null;
      selfHealth?.clear('storage');
    },
  };
}
