/**
 * `npm run bench` in miniature: each benchmark on a tiny site for a second or two, so a change to
 * the CLI, the config or the health API that would break the benchmarks fails here first. Needs
 * the build (dist/), as the benchmarks measure the compiled gateway.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchRow } from './bench-row.js';
import { createChildGroup } from './child-group.js';
import { packageRoot } from './gateway-processes.js';
import { benchModbusPolling } from './modbus-polling.js';
import { benchPiBox } from './pi-box.js';
import { benchSiteLoad } from './site-load.js';
import { benchSnmpPolling } from './snmp-polling.js';

const cli = join(packageRoot(), 'dist', 'app', 'cli.js');
const built = existsSync(cli);
if (!built && process.env.CI === 'true') throw new Error('dist/ is missing: CI must build before testing');
if (!built) console.warn('skipping benchmark smoke tests: run `npm run build` first');

const children = createChildGroup();
afterAll(() => children.dispose());

const byName = (rows: BenchRow[], part: string) => {
  const row = rows.find((r) => r.name.includes(part));
  if (!row) throw new Error(`no row named like "${part}" in ${rows.map((r) => r.name).join(' | ')}`);
  return row;
};

describe.runIf(built && process.platform === 'linux')('benchmarks, miniature', () => {
  it('modbus polling: every row measured, against its baseline', { timeout: 30_000 }, async () => {
    const rows = await benchModbusPolling({ children, cli, rounds: 1, sliceMs: 200, warmupMs: 50 });
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row.value).toBeGreaterThan(0);
    expect(byName(rows, 'no store').ratio).toBeGreaterThan(0);
    expect(byName(rows, '-> store').target).toBe('ratio >= 0.9');
    expect(children.running()).toEqual([]);
  });

  it('Pi box: a small site held on one core with a capped heap; a larger step is tried', { timeout: 60_000 }, async () => {
    // A 2 s settle (the bench's 5 s is for its 200-device site); the windows stay 4 s, as 'held' needs
    // >= 95 % of the polled readings committed in them and a shorter one is judged by fewer polls.
    const rows = await benchPiBox({ children, cli, devices: 4, pointsPerDevice: 10, durationMs: 4000, steps: [8], stepMs: 3000, settleMs: 2000 });
    expect(byName(rows, 'held')).toMatchObject({ pass: true, unit: 'yes' });
    expect(byName(rows, 'missed poll slots').value).toBe(0);
    expect(byName(rows, 'overview page p99').value).toBeGreaterThan(0);
    expect(byName(rows, 'headroom').value).toBe(8);
    expect(children.running()).toEqual([]);
  });

  it('site load: the gateway commits what the site produces; CPU and memory are read', { timeout: 40_000 }, async () => {
    const rows = await benchSiteLoad({
      children,
      cli,
      devices: 4,
      pointsPerDevice: 10,
      ports: 2,
      pollIntervalMs: 500,
      measureMs: 1500,
      settleMs: 300,
    });
    // 4 devices × 10 points every 500 ms = 80 readings/s (commits land every 200 ms, hence the slack)
    const readings = byName(rows, 'committed readings');
    expect(readings.value).toBeGreaterThan(50);
    expect(readings.value).toBeLessThan(110);
    expect(byName(rows, 'poller, same reads').value).toBeGreaterThan(50);
    for (const part of ['gateway CPU', 'poller, CPU']) {
      const cpu = byName(rows, part).value;
      expect(cpu).toBeGreaterThanOrEqual(0);
      expect(cpu).toBeLessThan(200);
    }
    const rss = byName(rows, 'gateway RSS');
    expect(rss.value).toBeGreaterThan(20);
    expect(byName(rows, 'peak RSS').value).toBeGreaterThanOrEqual(rss.value);
    expect(children.running()).toEqual([]);
  });

  it('snmp polling: the gateway commits what the agents answer; the raw loop is the baseline', { timeout: 60_000 }, async () => {
    const rows = await benchSnmpPolling({ children, cli, devices: 4, oidsPerDevice: 5, pollIntervalMs: 500, measureMs: 2000, settleMs: 500 });
    // 4 agents × 5 OIDs every 500 ms = 40 readings/s (rounds land in 500 ms steps, hence the slack)
    const gateway = byName(rows, 'gateway SNMP committed readings');
    expect(gateway.value).toBeGreaterThan(25);
    expect(gateway.value).toBeLessThan(60);
    expect(byName(rows, 'raw net-snmp session loop + better-sqlite3, 4 agents').value).toBeGreaterThan(25);
    expect(gateway.ratio).toBeGreaterThan(0.5);
    expect(byName(rows, 'gateway CPU').target).toBe('< 10 %');
    expect(children.running()).toEqual([]);
  });
});
