/**
 * The analytics budget benchmark in miniature (a 200-point site with 20 analysed points, two days
 * of history, one run each), so a change to the analytics service, the alarm engine or the store
 * that would break `npm run bench` fails here first. The memory rows need Linux (/proc).
 */
import { describe, expect, it } from 'vitest';
import { benchAnalyticsBudget } from './analytics-budget.js';
import type { BenchRow } from './bench-row.js';

const byName = (rows: BenchRow[], part: string) => {
  const row = rows.find((r) => r.name.includes(part));
  if (!row) throw new Error(`no row named like "${part}" in ${rows.map((r) => r.name).join(' | ')}`);
  return row;
};

describe('analytics budget benchmark, miniature', () => {
  it.runIf(process.platform === 'linux')('measures ingest, refit and memory with and without analytics, and the detectors really work', { timeout: 60_000 }, async () => {
    const rows = await benchAnalyticsBudget({ devices: 10, pointsPerDevice: 20, historyDays: 2, cycles: 40, runs: 1, memoryCycles: 20 });
    const base = byName(rows, 'no analytics (');
    const withAnalytics = byName(rows, '+ analytics on 20 points');
    expect(base.value).toBeGreaterThan(0);
    expect(withAnalytics.ratio).toBeCloseTo(withAnalytics.value / base.value);
    expect(withAnalytics.target).toBe('ratio >= 0.9 (unchanged within noise)');
    expect(typeof withAnalytics.pass).toBe('boolean');
    // not idle detectors: the stepped point raises analytics alarms through the alarm engine
    expect(byName(rows, 'analytics alarms raised').value).toBeGreaterThan(0);
    expect(byName(rows, 'commit listener').value).toBeGreaterThan(0);
    // two days of minutes for each of the 20 points, and every point fitted a `day` baseline from them
    expect(byName(rows, 'minute history written').name).toContain('57,600 rows');
    const refit = byName(rows, 'refit, median per point');
    expect(refit.name).toContain('day baseline from 2,88');
    expect(refit.value).toBeGreaterThan(0);
    const cpu = byName(rows, 'refit CPU amortised');
    expect(cpu.value).toBeCloseTo((refit.value * 20 * 100) / 3_600_000, 5);
    expect(cpu.target).toBe('< 5 %');
    expect(byName(rows, 'RSS, child with store').value).toBeGreaterThan(20);
    const extra = byName(rows, 'extra RSS of analytics');
    expect(extra.value).toBeCloseTo(byName(rows, 'RSS, same + analytics').value - byName(rows, 'RSS, child with store').value, 5);
    expect(extra.target).toBe('< 30 MB');
    expect(Number.isFinite(byName(rows, 'extra heapUsed').value)).toBe(true);
  });
});
