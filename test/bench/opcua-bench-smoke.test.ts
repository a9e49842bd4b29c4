/**
 * The OPC UA benchmark in miniature (200 items, half a second per variant), so a change that would
 * break `npm run bench` fails here first. The footprint rows need the build (dist/).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchRow } from './bench-row.js';
import { createChildGroup } from './child-group.js';
import { packageRoot } from './gateway-processes.js';
import { benchOpcuaFootprint } from './opcua-footprint.js';
import { benchOpcuaSubscription } from './opcua-subscription.js';

const cli = join(packageRoot(), 'dist', 'app', 'cli.js');
const built = existsSync(cli);
const children = createChildGroup();
afterAll(() => children.dispose());

const byName = (rows: BenchRow[], part: string) => {
  const row = rows.find((r) => r.name.includes(part));
  if (!row) throw new Error(`no row named like "${part}" in ${rows.map((r) => r.name).join(' | ')}`);
  return row;
};

describe('opcua benchmark, miniature', () => {
  it('subscription ingest: raw baseline, driver and store rows, every value delivered', { timeout: 30_000 }, async () => {
    const rows = await benchOpcuaSubscription({ items: 200, periodMs: 100, warmupMs: 300, measureMs: 500, rounds: 1 });
    // 200 items every 100 ms: 2000 changes/s offered; a loaded test machine may deliver less, never more
    for (const part of ['raw node-opcua', '-> samples', '-> store']) {
      expect(byName(rows, part).value).toBeGreaterThan(400);
      expect(byName(rows, part).value).toBeLessThan(2600);
    }
    expect(byName(rows, '-> store').target).toBe('ratio >= 0.8');
    expect(byName(rows, 'driver client capacity').ratio).toBeGreaterThan(0);
  });

  it.runIf(built && process.platform === 'linux')('footprint: RSS with and without an OPC UA device', { timeout: 60_000 }, async () => {
    const rows = await benchOpcuaFootprint({ children, cli, settleMs: 300 });
    const base = byName(rows, '1 Modbus device').value;
    expect(base).toBeGreaterThan(20);
    expect(byName(rows, '+ 1 OPC UA device').value).toBeGreaterThan(base);
    expect(children.running()).toEqual([]);
  });
});
