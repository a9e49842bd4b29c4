/**
 * What the store does about a backlog after commits failed (issue 11 §3): it commits it in bounded
 * chunks, reports the fault to the gateway's self-health while commits fail, shows its queue bound,
 * and measures its size budget after commits rather than once a minute. Faults are real SQLite
 * ones: another connection holding the write lock.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSelfHealth } from '../../core/self-health.js';
import type { StoreOptions } from '../../gateway/store/index.js';
import type { Sample } from '../../core/types.js';
import { createTempStores } from '../helpers/temp-store.js';

const temp = createTempStores('store-backlog-', { commitIntervalMs: 10, busyTimeoutMs: 5 });
const others: Database.Database[] = [];
afterEach(() => {
  for (const o of others.splice(0)) {
    if (o.inTransaction) o.exec('ROLLBACK');
    o.close();
  }
  temp.cleanup();
});

const T = Date.UTC(2025, 0, 15);
const samples = (n: number, from = 0): Sample[] =>
  Array.from({ length: n }, (_, i) => ({ pointId: `dev.p${(from + i) % 50}`, ts: T + from + i, value: from + i, quality: 'good' }));
const until = async (cond: () => boolean, ms = 5000) => {
  const end = performance.now() + ms;
  while (!cond() && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
};

function setup(extra: Partial<StoreOptions> = {}) {
  const file = temp.file();
  const selfHealth = createSelfHealth();
  const store = temp.open(file, { selfHealth, ...extra });
  const other = new Database(file);
  others.push(other);
  return { store, other, selfHealth };
}

describe('store backlog after failed commits', () => {
  it('commits the backlog in chunks of maxBatch, in order, with no seq lost', async () => {
    const { store, other } = setup({ maxBatch: 500, maxQueue: 100_000 });
    other.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 40; i++) store.append(samples(250, i * 250));
    await until(() => store.stats().commitErrors > 0);
    expect(store.stats().pending).toBe(10_000);
    const batches: number[] = [];
    store.onCommit((b) => batches.push(b.readings.length));
    other.exec('COMMIT');
    await until(() => store.stats().pending === 0);
    expect(batches.length).toBeGreaterThanOrEqual(20);
    expect(Math.max(...batches)).toBeLessThanOrEqual(500);
    const rows = store.readingsAfter(0, 20_000);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    expect(rows.map((r) => r.value)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  });

  it('raises `storage` in self-health while commits fail and clears it once the backlog is committed', async () => {
    const { store, other, selfHealth } = setup({ maxBatch: 100 });
    store.append(samples(10));
    store.flush();
    expect(selfHealth.status()).toBe('ok');
    other.exec('BEGIN IMMEDIATE');
    store.append(samples(300, 10));
    expect(() => store.flush()).toThrow(/stay queued/);
    expect(selfHealth.status()).toBe('degraded');
    const [condition] = selfHealth.conditions();
    expect(condition).toMatchObject({ id: 'storage' });
    expect(condition!.reason).toMatch(/commits failing: .*(locked|busy).*300 samples queued \(at most 200000 are kept\)/i);
    expect(store.stats()).toMatchObject({ maxQueue: 200_000, pending: 300 });
    expect(store.stats().failingSince).toEqual(expect.any(Number));
    other.exec('COMMIT');
    await until(() => store.stats().pending === 0);
    expect(selfHealth.status()).toBe('ok');
    expect(store.stats()).toMatchObject({ lastError: null, failingSince: null });
  });

  it('an append during the backlog joins its end (no sample committed twice)', async () => {
    const { store, other } = setup({ maxBatch: 200 });
    other.exec('BEGIN IMMEDIATE');
    store.append(samples(2000));
    await until(() => store.stats().commitErrors > 0);
    let appended = false;
    store.onCommit(() => {
      // a listener that writes back (an alarm event, a derived point) while chunks are published
      if (!appended) {
        appended = true;
        store.append(samples(5, 2000));
      }
    });
    other.exec('COMMIT');
    await until(() => store.stats().pending === 0);
    const values = store.readingsAfter(0, 10_000).map((r) => r.value);
    expect(values).toEqual(Array.from({ length: 2005 }, (_, i) => i));
  });
});

describe('size budget between retention timer runs', () => {
  it('is measured after commits, so a 1 MB budget is not overrun by ingest while the timer is off', async () => {
    const { store } = setup({ maxBatch: 1000, retention: { maxAgeDays: 0, maxSizeMB: 1 }, retentionIntervalMs: 0, retentionChunk: 2000 });
    let peak = 0;
    for (let i = 0; i < 100; i++) {
      store.append(samples(1000, i * 1000));
      store.flush();
      await new Promise((r) => setImmediate(r));
      peak = Math.max(peak, store.stats().databaseBytes);
    }
    await until(() => store.stats().databaseBytes < 1.2 * 1024 * 1024, 10_000);
    // ~100 k readings are ~5 MB unchecked; the budget held them to about 1 MB all along
    expect(store.stats().droppedByRetention).toBeGreaterThan(50_000);
    expect(store.stats().databaseBytes).toBeLessThan(1.2 * 1024 * 1024);
    expect(peak).toBeLessThan(2.5 * 1024 * 1024);
  });
});
