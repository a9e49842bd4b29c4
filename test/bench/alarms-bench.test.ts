/** The alarm benchmark in miniature, so a change that would break `npm run bench` fails here first. */
import { describe, expect, it } from 'vitest';
import { benchAlarms } from './alarms-engine.js';

describe('alarm benchmark, miniature', () => {
  it('measures every row against the store in the same run', { timeout: 30_000 }, async () => {
    const rows = await benchAlarms({ cycles: 3, latencyRounds: 6, replayEvents: 2000 });
    expect(rows.map((r) => r.name)).toHaveLength(10);
    for (const row of rows) expect(row.value, row.name).toBeGreaterThan(0);
    const engine = rows.find((r) => r.name.startsWith('alarm engine evaluation'))!;
    expect(engine.baseline).toBe('store ingest');
    expect(engine.ratio).toBeGreaterThan(0);
    const p99 = rows.find((r) => r.name.includes('p99'))!;
    expect(p99.value).toBeLessThan(2000);
    // the latency's floor, measured in the same run
    expect(rows.filter((r) => r.name.startsWith('its floor')).map((r) => r.unit)).toEqual(['ms', 'ms']);
  });
});
