/**
 * A dead slave on a shared RTU bus: the sampler backs it off and reports it down, while the other
 * slave on the same link keeps its poll rate. Real simulator, real driver, real store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import type { ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import { type SimulatedSite, startSimulatedSite } from '../../drivers/modbus/simulator/index.js';
import type { Sampler } from '../../gateway/sampler.js';
import type { Store } from '../../gateway/store/types.js';
import { freePort } from '../helpers/free-port.js';
import { createModbusPipeline } from '../helpers/modbus-pipeline.js';

const POLL_MS = 250;

describe('dead slave on a shared bus', () => {
  let dir: string;
  let site: SimulatedSite;
  let store: Store;
  let sampler: Sampler;
  let devices: ModbusDeviceConfig[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-bus-'));
    const port = await freePort();
    const yaml = `gateway: { id: t, dataDir: ${dir} }
devices:
${[3, 4]
  .map(
    (unit) => `  - id: crac${unit}
    kind: hvac
    driver: modbus
    connection: { transport: rtu-over-tcp, host: 127.0.0.1, port: ${port}, unitId: ${unit}, timeoutMs: 300 }
    pollIntervalMs: ${POLL_MS}
    profile: crac-generic`,
  )
  .join('\n')}
`;
    const { config, problems } = parseSiteConfig(yaml, 'bus.yaml');
    expect(problems).toEqual([]);
    devices = config!.devices as ModbusDeviceConfig[];
    site = await startSimulatedSite(devices);
    ({ store, sampler } = createModbusPipeline(dir, devices, { initialMs: 500, maxMs: 2000 }));
    sampler.start();
  });

  afterAll(async () => {
    await sampler?.stop();
    store?.close();
    await site?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the live slave at its rate, reports the dead one down, and recovers it', async () => {
    await new Promise((r) => setTimeout(r, 1000));
    expect(sampler.statusOf('crac3')!.state).toBe('up');
    expect(sampler.statusOf('crac4')!.state).toBe('up');

    site.slave('crac4').dead = true;
    const before = sampler.statusOf('crac3')!.polls;
    const errorsBefore = sampler.statusOf('crac4')!.errorCount;
    const windowMs = 5000;
    await new Promise((r) => setTimeout(r, windowMs));
    const polled = sampler.statusOf('crac3')!.polls - before;
    const dead = sampler.statusOf('crac4')!;
    const deadAttempts = dead.errorCount - errorsBefore;

    // Polled every 250 ms, the dead slave would hold the bus for a 300 ms timeout (plus the quiet
    // wait that keeps a late reply from being misread) about 15 times in this window; backed off,
    // it tries a handful of times and each try costs the live slave at most three slots.
    expect(deadAttempts).toBeGreaterThanOrEqual(2);
    expect(deadAttempts).toBeLessThanOrEqual(5);
    const expected = windowMs / POLL_MS;
    expect(expected - polled).toBeLessThanOrEqual(deadAttempts * 3 + 1);
    expect(sampler.statusOf('crac3')!.state).toBe('up');
    expect(dead.state).toBe('down');
    expect(dead.lastError).toBe('crac4: no answer from unit 4 in 300 ms');
    store.flush();
    const latest = store.latestOf('crac4.supply_temp')!;
    expect(latest).toMatchObject({ value: null, quality: 'bad', reason: 'timeout' });

    site.slave('crac4').dead = false;
    const back = Date.now();
    while (sampler.statusOf('crac4')!.state !== 'up' && Date.now() - back < 5000) await new Promise((r) => setTimeout(r, 50));
    expect(sampler.statusOf('crac4')!.state).toBe('up');
    store.flush();
    expect(store.latestOf('crac4.supply_temp')!.quality).toBe('good');
  }, 20_000);
});
