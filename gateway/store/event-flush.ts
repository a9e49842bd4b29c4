/**
 * Flushing a service's events (alarm or incident transitions) without waiting for the next commit
 * interval: at once (`now`) or on the next turn (`soon`), never inside a commit listener, where the
 * store is still publishing that commit. A failed flush is logged; the events stay queued in the
 * store, which retries, so nothing is lost while the process runs.
 */
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Store } from './types.js';

export interface EventFlush {
  now(): void;
  /** once per turn however often it is asked */
  soon(): void;
  cancel(): void;
}

export function createEventFlush(store: Pick<Store, 'flush'>, logger: Logger, what: string): EventFlush {
  let pending: NodeJS.Immediate | undefined;
  const now = () => {
    try {
      store.flush();
    } catch (err) {
      logger.warn(`${what} not committed yet; the store retries`, { err: errorMessage(err) });
    }
  };
  return {
    now,
    soon() {
      if (pending) return;
      pending = setImmediate(() => {
        pending = undefined;
        now();
      });
    },
    cancel() {
      if (pending) clearImmediate(pending);
      pending = undefined;
    },
  };
}
