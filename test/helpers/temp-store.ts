/**
 * Stores on real SQLite files in throw-away directories, for tests, the kill -9 child and benches.
 * The defaults switch off every timer but the commit interval (and make that long), so a test
 * decides when things commit; pass overrides for the behaviour under test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../core/logger.js';
import { createStore, type Store, type StoreOptions } from '../../gateway/store/index.js';

export function testStoreOptions(file: string, overrides: Partial<StoreOptions> = {}): StoreOptions {
  return {
    file,
    synchronous: 'normal',
    commitIntervalMs: 10_000,
    maxBatch: 1000,
    retention: { maxAgeDays: 0, maxSizeMB: 0 },
    logger: silentLogger,
    latestCheckpointMs: 0,
    retentionIntervalMs: 0,
    // tests backfill "old" readings in the same run; test/unit/retention-clock.test.ts turns the guard on
    clockSafeRetention: false,
    ...overrides,
  };
}

export interface TempStores {
  /** a new empty directory, removed by cleanup() */
  dir(): string;
  /** a database path in a new directory (nothing is created at it yet) */
  file(name?: string): string;
  /** Opens a store on file (again, to test a reopen); cleanup() closes it unless the test did. */
  open(file: string, overrides?: Partial<StoreOptions>): Store;
  /** Closes every store still open, then removes every directory; throws the first close error. */
  cleanup(): void;
}

/** `defaults` apply to every open() of this set, under the overrides passed to open(). */
export function createTempStores(prefix: string, defaults: Partial<StoreOptions> = {}): TempStores {
  const dirs: string[] = [];
  const stores: Store[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  return {
    dir,
    file: (name = 'gateway.db') => join(dir(), name),
    open(file, overrides = {}) {
      const store = createStore(testStoreOptions(file, { ...defaults, ...overrides }));
      stores.push(store);
      return store;
    },
    cleanup() {
      const errors: unknown[] = [];
      for (const s of stores.splice(0)) {
        try {
          s.close();
        } catch (err) {
          errors.push(err);
        }
      }
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
      if (errors.length > 0) throw errors[0];
    },
  };
}
