/**
 * The memory-by-component and start-up benchmarks in miniature (a 4-device site, a second or two
 * per stage), so a change to the config, the CLI or health that would break them fails here first.
 * Needs the build (dist/), as the benchmarks measure the compiled gateway.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchRow } from './bench-row.js';
import { createChildGroup } from './child-group.js';
import { packageRoot } from './gateway-processes.js';
import { benchMemoryComponents } from './memory-components.js';
import { benchStartup } from './startup-time.js';

const cli = join(packageRoot(), 'dist', 'app', 'cli.js');
const built = existsSync(cli);
if (!built && process.env.CI === 'true') throw new Error('dist/ is missing: CI must build before testing');
if (!built) console.warn('skipping memory and start-up smoke tests: run `npm run build` first');

const children = createChildGroup();
afterAll(() => children.dispose());

const byName = (rows: BenchRow[], part: string) => {
  const row = rows.find((r) => r.name.includes(part));
  if (!row) throw new Error(`no row named like "${part}" in ${rows.map((r) => r.name).join(' | ')}`);
  return row;
};

describe.runIf(built && process.platform === 'linux')('memory and start-up benchmarks, miniature', () => {
  it('memory by component: every stage runs as its own gateway and is measured', { timeout: 120_000 }, async () => {
    const rows = await benchMemoryComponents({
      children,
      cli,
      devices: 4,
      pointsPerDevice: 10,
      ports: 2,
      snmpAgents: 2,
      snmpOids: 5,
      snmpPollMs: 500,
      pollIntervalMs: 500,
      settleMs: 500,
      measureMs: 1000,
      sampleMs: 250,
    });
    const bare = byName(rows, 'bare node + better-sqlite3').value;
    expect(bare).toBeGreaterThan(20);
    // 4 devices x 10 points: 5 limit rules of 3 levels each and a comm-loss alarm per device
    const alarms = byName(rows, '+ alarms: 64 (HI/HIHI/LO on 20 points');
    expect(alarms.value).toBeGreaterThan(bare);
    expect(byName(rows, '+ analytics on 4 points').value).toBeGreaterThan(bare);
    const full = byName(rows, '+ SNMP (2 agents, 10 points)');
    expect(full.target).toBe('< 100 MB');
    // every stage's gateway committed readings: 40/s Modbus, plus 20/s SNMP in the full stage
    const committed = rows.filter((r) => r.name.includes('committed readings'));
    expect(committed).toHaveLength(4);
    // over a 1 s window with commits every 200 ms a rate moves by ±20/s: each stage is judged alone
    for (const row of committed) expect(row.value).toBeGreaterThan(20);
    const heaps = rows.filter((r) => r.name.includes('V8 heap used'));
    for (const row of heaps) expect(row.value).toBeGreaterThan(1);
    // the bare node's and each stage's heap after a full GC; the gateway holds more than the bare libraries
    const live = rows.filter((r) => r.name.includes('live heap (after a full GC)'));
    expect(live).toHaveLength(5);
    for (const row of live.slice(1)) expect(row.value).toBeGreaterThan(live[0]!.value);
    const peaks = rows.filter((r) => r.name.includes('peak RSS'));
    expect(peaks).toHaveLength(4);
    expect(peaks[3]!.target).toBe('< 120 MB');
    // on this tiny site VmHWM was once read below the median VmRSS sample (the kernel keeps the two
    // counters apart for a many-threaded process): only that it is read is asserted here
    expect(peaks[3]!.value).toBeGreaterThan(bare / 2);
    expect(children.running()).toEqual([]);
  });

  it('start-up: the page answers before every device is up, with and without OPC UA', { timeout: 120_000 }, async () => {
    const rows = await benchStartup({ children, cli, devices: 4, pointsPerDevice: 10, ports: 2, runs: 1 });
    const floor = byName(rows, 'gateway --version').value;
    expect(floor).toBeGreaterThan(0);
    for (const variant of ['4 Modbus devices x 10 points', '4 Modbus + 1 OPC UA device']) {
      const page = byName(rows, `page answering, ${variant}`);
      expect(page.target).toBe('< 1.5 s');
      // wall times on a shared machine: only their order is certain, not how they compare with the floor
      expect(page.value).toBeGreaterThan(0);
      expect(byName(rows, `devices up, ${variant}`).value).toBeGreaterThanOrEqual(page.value);
    }
    const cpu = rows.filter((r) => r.name.includes('CPU time until the page answered'));
    expect(cpu).toHaveLength(2);
    for (const row of cpu) expect(row.value).toBeGreaterThan(0);
    expect(children.running()).toEqual([]);
  });
});
