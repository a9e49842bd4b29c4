/** Post-commit subscribers. A listener that throws is logged and skipped; it never breaks the store. */
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { CommittedBatch } from './types.js';

export interface CommitBus {
  readonly size: number;
  subscribe(listener: (batch: CommittedBatch) => void): () => void;
  publish(batch: CommittedBatch): void;
}

/** Distinct listener failures remembered, so a listener failing on every commit logs once. */
const MAX_REMEMBERED_FAILURES = 100;

export function createCommitBus(logger: Logger): CommitBus {
  const listeners = new Set<(batch: CommittedBatch) => void>();
  const reported = new Set<string>();
  return {
    get size() {
      return listeners.size;
    },
    subscribe(listener) {
      // Wrapped so the same function can subscribe twice and unsubscribe each separately.
      const entry = (batch: CommittedBatch) => listener(batch);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    publish(batch) {
      for (const listener of [...listeners]) {
        try {
          listener(batch);
        } catch (err) {
          const message = errorMessage(err);
          if (reported.has(message)) continue;
          if (reported.size < MAX_REMEMBERED_FAILURES) reported.add(message);
          logger.error('a commit listener failed; the store carries on', { err: message });
        }
      }
    },
  };
}
