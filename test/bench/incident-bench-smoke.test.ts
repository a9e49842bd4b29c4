/**
 * The incident evaluation benchmark in miniature (a 10-device site, 50 rules), so a change to the
 * incident engine, the topology or the store that would break `npm run bench` fails here first.
 */
import { describe, expect, it } from 'vitest';
import type { BenchRow } from './bench-row.js';
import { benchIncidentEval } from './incident-eval.js';

const byName = (rows: BenchRow[], part: string) => {
  const row = rows.find((r) => r.name.includes(part));
  if (!row) throw new Error(`no row named like "${part}" in ${rows.map((r) => r.name).join(' | ')}`);
  return row;
};

describe('incident evaluation benchmark, miniature', () => {
  it('measures both configurations, and alarms and incidents really raise', { timeout: 30_000 }, async () => {
    const rows = await benchIncidentEval({ devices: 10, pointsPerDevice: 20, cycles: 80, runs: 1, incidentRules: 50 });
    expect(rows).toHaveLength(6);
    const base = byName(rows, 'no incidents');
    const withIncidents = byName(rows, '+ incident engine (50 rules');
    expect(base.value).toBeGreaterThan(0);
    expect(withIncidents.value).toBeGreaterThan(0);
    expect(withIncidents.ratio).toBeCloseTo(withIncidents.value / base.value);
    expect(withIncidents.target).toBe('ratio >= 0.9');
    expect(typeof withIncidents.pass).toBe('boolean');
    // not an idle engine: the samples raise alarms, and the alarms and points raise incidents
    expect(byName(rows, 'alarm events').value).toBeGreaterThan(0);
    expect(byName(rows, 'incidents raised').value).toBeGreaterThan(0);
    expect(byName(rows, 'per commit').value).toBeGreaterThan(0);
    expect(byName(rows, 'tick').value).toBeGreaterThanOrEqual(0);
  });
});
