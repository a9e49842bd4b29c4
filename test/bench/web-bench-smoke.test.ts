/** The web benchmark in miniature, so a change that would break `npm run bench` fails here first. */
import { describe, expect, it } from 'vitest';
import { benchWeb } from './web-page.js';

describe('web benchmark, miniature', () => {
  it('measures overview time, page weight and live fan-out', { timeout: 30_000 }, async () => {
    const rows = await benchWeb({ devices: 20, pointsPerDevice: 10, requests: 5, clients: 3, commits: 3 });
    expect(rows.map((r) => r.name)).toEqual([
      expect.stringMatching(/^overview server time, 200 points, p50$/),
      'overview server time, p95',
      expect.stringMatching(/^overview page weight \(HTML\+CSS\+JS/),
      expect.stringMatching(/^overview page weight, demo-sized site/),
      expect.stringMatching(/^live update, commit → 3 SSE clients/),
      expect.stringMatching(/^live update, 3 clients, p99 \(\d+ of 9 updates arrived\)$/),
    ]);
    for (const row of rows) expect(row.value, row.name).toBeGreaterThan(0);
    expect(rows.filter((r) => r.pass === false)).toEqual([]);
  });
});
