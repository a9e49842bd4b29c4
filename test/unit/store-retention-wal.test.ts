/**
 * The size rule's own deletes on a disk with no room to spare (issue 11 §3): deleting writes to
 * the WAL too, so each deletion must fit in what the budget leaves above its target (10 %), and
 * the WAL must not pile up across chunks.
 */
import { statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../core/types.js';
import { createTempStores } from '../helpers/temp-store.js';

const MB = 1024 * 1024;
const NOW = Date.UTC(2025, 5, 1);
const temp = createTempStores('store-retention-wal-', { maxBatch: 100_000, now: () => NOW });
afterEach(() => temp.cleanup());

const samples = (n: number, from: number): Sample[] =>
  Array.from({ length: n }, (_, i) => ({ pointId: `pdu${i % 20}.kw`, ts: NOW - 3_600_000 + from + i, value: from + i, quality: 'good' }));
const walBytes = (file: string) => statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;

describe('size retention on a tight disk', () => {
  it('deletes in chunks whose WAL fits in the 10 % the budget leaves, and checkpoints between them', () => {
    const file = temp.file();
    // ~6 MB of readings with no budget, then a 2 MB budget
    const filler = temp.open(file, { retention: { maxAgeDays: 0, maxSizeMB: 0 } });
    for (let i = 0; i < 12; i++) filler.append(samples(10_000, i * 10_000));
    filler.flush();
    filler.close();

    const budget = 2 * MB;
    const store = temp.open(file, { retention: { maxAgeDays: 0, maxSizeMB: 2 } });
    const chunks: Array<{ count: number; wal: number }> = [];
    store.onCommit((b) => {
      for (const e of b.events) {
        // heard right after the chunk's transaction: the WAL holds that deletion and anything left before it
        if (e.type === 'retention.dropped') chunks.push({ count: e.data.count as number, wal: walBytes(file) });
      }
    });
    store.enforceRetention(NOW);

    expect(chunks.length).toBeGreaterThan(5);
    const slack = budget * 0.1;
    for (const c of chunks) expect(c.wal).toBeLessThanOrEqual(slack);
    expect(store.stats().databaseBytes).toBeLessThanOrEqual(budget);
    // what is left is the newest readings, without a gap
    const left = store.readingsAfter(0, 200_000);
    expect(left.length).toBeGreaterThan(10_000);
    expect(left.at(-1)!.seq).toBe(120_000);
    expect(left.at(-1)!.seq - left[0]!.seq + 1).toBe(left.length);
  });
});
