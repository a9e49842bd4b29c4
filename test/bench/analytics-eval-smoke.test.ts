/** The analytics evaluation in miniature, so a change that would break `npm run eval` fails here first. */
import { describe, expect, it } from 'vitest';
import { evaluateAnalytics } from './analytics-eval.js';

describe('analytics evaluation, miniature', () => {
  it('scores every detector and the static threshold, and finds a planted step', { timeout: 60_000 }, () => {
    // one group of four CRACs, 2 days of history and 14 h scored: the group's first fault is a step
    const { rows, table } = evaluateAnalytics({ groups: 1, trainingDays: 2, days: 2.6 });
    expect(rows.length).toBeGreaterThan(3);
    for (const row of rows) expect(Number.isNaN(row.value), row.name).toBe(false);
    const step = rows.find((r) => r.name.startsWith('step: recall'));
    expect(step, table).toBeDefined();
    expect(step!.value, table).toBe(1);
    // the static threshold never sees a 3–5 σ step: the table compares against it on the same data
    expect(step!.baseline).toBe('static');
    expect(step!.ratio).toBe(0);
    expect(rows.some((r) => r.name.startsWith('false alarms in clean time'))).toBe(true);
    expect(table).toContain('static');
  });
});
