/**
 * A data folder that looks like a gateway that has run for a while: readings of the given points
 * over the last `minutes` (one every `everyS` seconds) written through the real store and rolled
 * up, so analytics starts with history to learn from. For e2e tests that cannot wait for it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../core/logger.js';
import type { Sample } from '../../core/types.js';
import { createStore } from '../../gateway/store/index.js';

export interface SeededPoint {
  pointId: string;
  /** the value at wall time ts (ms) */
  value(ts: number): number;
}

export function seedHistory(dataDir: string, points: readonly SeededPoint[], options: { minutes: number; everyS?: number; end?: number }): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const store = createStore({
    file: join(dataDir, 'gateway.db'),
    synchronous: 'normal',
    commitIntervalMs: 60_000,
    maxBatch: 50_000,
    retention: { maxAgeDays: 0, maxSizeMB: 0 },
    logger: silentLogger,
  });
  try {
    const end = options.end ?? Date.now();
    const step = (options.everyS ?? 10) * 1000;
    for (let ts = end - options.minutes * 60_000; ts < end; ts += step) {
      const samples: Sample[] = points.map((p) => ({ pointId: p.pointId, ts, value: p.value(ts), quality: 'good' }));
      store.append(samples);
    }
    store.flush();
    store.rollUp();
  } finally {
    store.close();
  }
}
