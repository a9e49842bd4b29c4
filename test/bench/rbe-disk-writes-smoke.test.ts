/**
 * The report-by-exception disk-write benchmark in miniature (about 600 points, a 5 s window), so
 * a change to the store, the config loader's `store:` or the simulator models that would break
 * `npm run bench` fails here first. Linux only (/proc/<pid>/io).
 */
import { describe, expect, it } from 'vitest';
import type { BenchRow } from './bench-row.js';
import { benchRbeDiskWrites } from './rbe-disk-writes.js';

const byName = (rows: BenchRow[], part: string) => {
  const row = rows.find((r) => r.name.includes(part));
  if (!row) throw new Error(`no row named like "${part}" in ${rows.map((r) => r.name).join(' | ')}`);
  return row;
};

describe('report-by-exception disk writes, miniature', () => {
  it.runIf(process.platform === 'linux')('measures the bytes three ingest processes write, and the filter really stores less', { timeout: 90_000 }, async () => {
    // 5 s is enough for what is judged: the filter writes less than storing every reading (a ratio
    // well above 1 at any window), and stores a few percent of the polled samples
    const rows = await benchRbeDiskWrites({ points: 600, warmupS: 3, measureS: 5 });
    const raw = byName(rows, 'raw better-sqlite3 inserts');
    const all = byName(rows, 'store storing every reading');
    const rbe = byName(rows, 'store with report-by-exception');
    expect(raw.name).toContain('649 points of 33 simulated UPS/PDU/CRAC');
    expect(raw.value).toBeGreaterThan(0);
    expect(all.ratio).toBeCloseTo(all.value / raw.value, 5);
    expect(rbe.ratio).toBeCloseTo(all.value / rbe.value, 5);
    expect(rbe.target).toBe('ratio >= 5');
    expect(rbe.pass).toBe(rbe.ratio! >= 5);
    // even at this size, where each commit's fixed pages weigh most, the filter writes less
    expect(rbe.value).toBeLessThan(all.value);
    // the demo's signals: a few percent of the polled samples are stored
    const share = byName(rows, 'share of polled samples');
    expect(share.value).toBeGreaterThan(0);
    expect(share.value).toBeLessThan(15);
  });
});
