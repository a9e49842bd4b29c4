/**
 * Child process for the rollup kill -9 test: ingests through the store on a simulated clock (one
 * poll cycle a simulated second, as fast as it can, so each run crosses many minutes) with the
 * rollup pass on a short timer, so kills land between commits, staging writes and folds (the
 * store's clock is the simulated one, so an hour closes every few hundred milliseconds).
 *
 * Points: `full.p0`..`full.p3` are stored in full (integers and booleans, so sums are exact);
 * `late.p` is stored in full with a timestamp 5 minutes behind the cycle's every 7th cycle;
 * `steady.p0`..`steady.p2` jitter inside their deadband and are stored by exception (a heartbeat
 * every 5 minutes, and the first reading of each run). The clock resumes after the newest
 * reading the store holds, so cycles never repeat across runs.
 *
 * After each commit it writes `<last reading seq>` to stdout synchronously.
 * Usage: node --import tsx test/helpers/store-rollup-child.ts <database file>
 */
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../../core/logger.js';
import type { Sample } from '../../core/types.js';
import { createStore, type StorePolicy } from '../../gateway/store/index.js';
import { testStoreOptions } from './temp-store.js';

export const ROLLUP_CHILD_T0 = Date.UTC(2026, 0, 1);
export const STEADY_POLICY: StorePolicy = { deadband: 0.5, heartbeatS: 300 };
export const FULL_POINTS = ['full.p0', 'full.p1', 'full.p2', 'full.p3', 'late.p'];
export const STEADY_POINTS = ['steady.p0', 'steady.p1', 'steady.p2'];

function main(file: string): void {
  let ts = 0;
  const store = createStore(
    testStoreOptions(file, {
      commitIntervalMs: 5,
      maxBatch: 200,
      // 3-6 ms: every pass stages what the accumulator holds
      rollupIntervalMs: 3 + Math.floor(Math.random() * 4),
      // the simulated clock: the closed hours it leaves behind are folded as they would be
      now: () => ts,
      storePolicies: new Map(STEADY_POINTS.map((p) => [p, STEADY_POLICY])),
      logger: createLogger({ level: 'warn' }),
      latestCheckpointMs: 30,
    }),
  );
  store.onCommit(() => {
    writeSync(1, `${store.stats().lastReadingSeq}\n`);
  });
  ts = Math.max(ROLLUP_CHILD_T0, ...store.latest().map((v) => v.ts)) + 1000;
  let cycle = 0;
  const tick = () => {
    const batch: Sample[] = [];
    for (let i = 0; i < 20; i++) {
      cycle++;
      ts += 1000;
      batch.push({ pointId: 'full.p0', ts, value: cycle % 1000, quality: 'good' });
      batch.push({ pointId: 'full.p1', ts, value: cycle % 3 === 0, quality: 'good' });
      batch.push({ pointId: 'full.p2', ts, value: cycle % 5 === 0 ? null : -(cycle % 17), quality: cycle % 5 === 0 ? 'bad' : 'good' });
      batch.push({ pointId: 'full.p3', ts, value: cycle % 11, quality: cycle % 4 === 0 ? 'uncertain' : 'good' });
      if (cycle % 7 === 0) batch.push({ pointId: 'late.p', ts: ts - 5 * 60_000, value: cycle % 13, quality: 'good' });
      for (const [k, p] of STEADY_POINTS.entries()) batch.push({ pointId: p, ts, value: 20 + k + ((cycle + k) % 5) * 0.1, quality: 'good' });
    }
    store.append(batch);
    setImmediate(tick);
  };
  tick();
  // Never outlive a parent that died before killing us.
  setTimeout(() => process.exit(3), 20_000).unref();
  setInterval(() => {}, 1000);
}

const file = process.argv[2];
// Imported by the test for its constants; run as a script, it ingests.
if (file && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(file);
