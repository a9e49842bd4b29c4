/**
 * Comm loss from a real stopped simulator: the real sampler polls two UPSs over Modbus TCP into a
 * real store; when one device's simulator stops, the engine raises one comm-loss alarm for that
 * device (not a stale alarm per point) after commLossS, leaves the other device alone, and returns
 * the alarm when the simulator is back on the same port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import type { ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import { type SimulatedSite, startSimulatedSite } from '../../drivers/modbus/simulator/index.js';
import { type AlarmEngine, createAlarmEngine } from '../../gateway/alarms/engine.js';
import type { AlarmRule } from '../../gateway/alarms/types.js';
import { silentLogger } from '../../core/logger.js';
import type { Sampler } from '../../gateway/sampler.js';
import type { Store } from '../../gateway/store/types.js';
import { commLossRule, NAMES, staleRule } from '../helpers/alarm-fixtures.js';
import { waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { createModbusPipeline } from '../helpers/modbus-pipeline.js';

const POLL_MS = 200;

describe('comm-loss alarm from a stopped simulator', () => {
  let dir: string;
  let devices: ModbusDeviceConfig[];
  const sites = new Map<string, SimulatedSite>();
  let store: Store;
  let sampler: Sampler;
  let engine: AlarmEngine;

  const startDevice = async (id: string) => sites.set(id, await startSimulatedSite(devices.filter((d) => d.id === id)));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-alarm-comm-'));
    const ports = [await freePort(), await freePort()];
    const yaml = `gateway: { id: t, dataDir: ${dir} }
devices:
${ports
  .map(
    (port, i) => `  - id: ups${i + 1}
    kind: ups
    driver: modbus
    connection: { host: 127.0.0.1, port: ${port}, unitId: 1, timeoutMs: 200 }
    pollIntervalMs: ${POLL_MS}
    profile: ups-generic`,
  )
  .join('\n')}
`;
    const { config, problems } = parseSiteConfig(yaml, 'site.yaml');
    expect(problems).toEqual([]);
    devices = config!.devices as ModbusDeviceConfig[];
    for (const d of devices) await startDevice(d.id);
    ({ store, sampler } = createModbusPipeline(dir, devices, { initialMs: 200, maxMs: 400 }));
    const rules: AlarmRule[] = devices.flatMap((d) => [
      commLossRule(`${d.id}.comm-loss`, d.id, 1, { severity: 'critical' }),
      ...d.points.map((p) => staleRule(`${d.id}.${p.key}-stale`, p.id, 1)),
    ]);
    engine = createAlarmEngine({
      rules,
      settings: { chatterPerMinute: 5, floodPer10Min: 10, maxShelveMinutes: 60 },
      store,
      names: NAMES,
      deviceState: (id) => sampler.statusOf(id)?.state,
      logger: silentLogger,
      tickMs: 100,
    });
    engine.start();
    sampler.start();
    await waitFor(() => (devices.every((d) => sampler.statusOf(d.id)?.state === 'up') ? true : undefined), 5000, 'both UPSs up');
  });

  afterAll(async () => {
    engine?.stop();
    await sampler?.stop();
    store?.close();
    for (const s of sites.values()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('raises one alarm for the stopped device after commLossS, and returns it when the device is back', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    expect(engine.list('active')).toEqual([]);

    const stoppedAt = Date.now();
    await sites.get('ups1')!.stop();
    const raised = await waitFor(() => engine.list('active').find((a) => a.id === 'ups1.comm-loss'), 8000, 'the comm-loss alarm');
    const after = Date.now() - stoppedAt;
    expect(raised).toMatchObject({ state: 'unack', severity: 'critical', device: 'ups1' });
    // down after two failed polls, then commLossS (1 s) more
    expect(after).toBeGreaterThanOrEqual(1000);
    expect(after).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(engine.list('active').map((a) => a.id)).toEqual(['ups1.comm-loss']);

    await startDevice('ups1');
    await waitFor(() => (engine.get('ups1.comm-loss')?.state === 'rtn-unack' ? true : undefined), 8000, 'the alarm to return');
    expect(engine.list('active').map((a) => a.id)).toEqual(['ups1.comm-loss']);
    const types = store.eventsAfter(0, 1000).filter((e) => e.type.startsWith('alarm.')).map((e) => `${e.type} ${e.data.alarmId}`);
    expect(types).toEqual(['alarm.raised ups1.comm-loss', 'alarm.returned ups1.comm-loss']);
  });
});
