/**
 * Analytics on the demo as shipped, end to end over the HTTP API: `crac-degrading` makes CRAC-1
 * lose capacity slowly and a learned-baseline alarm (drift, or the band) comes long before any
 * limit alarm (the hot-spot pre-alarm is checked in browser-analytics.test.ts). The data folder is seeded with three hours of
 * CRAC-1's normal supply air, as a gateway that has run for a while would have, so its baseline is
 * trained at start instead of after the demo's 10 minutes. The anomaly alarms' on-delay is cut
 * from the shipped 60 s to 10 s (a minute less of waiting); the margin to HI is then judged with
 * the supply air the shipped on-delay would have added.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmRecord } from '../../gateway/alarms/types.js';
import type { AnalyticsPointStatus } from '../../gateway/analytics/types.js';
import { runCli, type spawnCli, stopCli, waitFor } from '../helpers/cli.js';
import { startDemoProcess } from '../helpers/demo-copy.js';
import { seedHistory } from '../helpers/seed-history.js';
import { oneStartAtATime } from '../helpers/start-gate.js';

/** config/demo.yaml's on-delay of CRAC supply-air anomaly alarms, and the one this test runs with */
const SHIPPED_ON_DELAY_S = 60;
const TEST_ON_DELAY_S = 10;
/** how fast crac-degrading warms CRAC-1's supply air, °C a second (drivers/modbus/simulator/models/crac.ts) */
const DEGRADE_C_PER_S = 0.4 / 60;

describe('analytics on the demo site', () => {
  let dir: string;
  let configFile: string;
  let httpPort: number;
  let controlPort: number;
  let child: ReturnType<typeof spawnCli>;
  let headers: Record<string, string> = {};

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, { headers });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const scenario = async (name: string, onOff: 'on' | 'off') => {
    const res = await fetch(`http://127.0.0.1:${controlPort}/scenarios/${name}`, { method: 'PUT', body: JSON.stringify({ active: onOff === 'on' }) });
    expect(res.status).toBe(200);
  };
  const activeAlarms = () => api<AlarmRecord[]>('/api/v1/alarms');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-analytics-demo-'));
    const shippedAnomaly = `anomaly: { sensitivity: medium, severity: minor, onDelayS: ${SHIPPED_ON_DELAY_S},`;
    const edit = (text: string) => {
      expect(text).toContain(shippedAnomaly);
      return text.replace(shippedAnomaly, shippedAnomaly.replace(`onDelayS: ${SHIPPED_ON_DELAY_S}`, `onDelayS: ${TEST_ON_DELAY_S}`));
    };
    // CRAC-1 holds its supply air at 18-20 °C (setpoint 18 plus its offset; 0.1 °C steps)
    const beforeStart = (dataDir: string) =>
      seedHistory(dataDir, [{ pointId: 'crac1.supply_temp', value: (ts) => 19 + Math.round(Math.sin(ts / 97_000) * 2) / 10 }], { minutes: 180 });
    // ports are picked inside the gate (picked before a long wait, another process may take one);
    // generous timeout: the demo starts five simulators and the gateway on a shared machine
    ({ httpPort, controlPort, configFile, child } = await oneStartAtATime(() => startDemoProcess(dir, { edit, beforeStart, timeoutMs: 120_000 })));
    if ((await fetch(`http://127.0.0.1:${httpPort}/api/v1/alarms`)).status === 401) {
      const made = runCli(['token', 'create', '--name', 'analytics-e2e', '--role', 'viewer', '--config', configFile], { GATEWAY_DEMO_SNMP_COMMUNITY: 'analytics-e2e' });
      expect(made.code, made.stderr).toBe(0);
      headers = { authorization: `Bearer ${made.stdout.trim()}` };
    }
  }, 420_000);

  afterAll(async () => {
    await scenario('crac-degrading', 'off').catch(() => undefined);
    await stopCli(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('trains CRAC-1 from its history at start; the racks (no history) are still training', async () => {
    const status = await waitFor(async () => {
      const all = await api<AnalyticsPointStatus[]>('/api/v1/analytics');
      return all.find((s) => s.point === 'crac1.supply_temp')?.state === 'ready' ? all : undefined;
    }, 30_000, 'crac1.supply_temp trained');
    const crac1 = status.find((s) => s.point === 'crac1.supply_temp')!;
    expect(crac1.trainedMinutes).toBeGreaterThanOrEqual(170);
    expect(crac1.checks).toEqual(['anomaly.band', 'anomaly.spike', 'anomaly.drift', 'forecast.limit']);
    expect(status.find((s) => s.point === 'racks-a.a02-temperature')).toMatchObject({ state: 'training', checks: ['forecast.limit'] });
    const band = await api<{ ts: number[]; lo: number[]; hi: number[] }>(`/api/v1/points/crac1.supply_temp/baseline?from=${Date.now() - 3_600_000}&to=${Date.now()}`);
    expect(band.ts.length).toBeGreaterThan(50);
    expect(band.lo[0]).toBeGreaterThan(17.5);
    expect(band.hi[0]).toBeLessThan(20.5);
  }, 60_000);

  it('crac-degrading: a learned-baseline alarm on CRAC-1 comes long before its HI limit', async () => {
    await scenario('crac-degrading', 'on');
    try {
      const found = await waitFor(async () => {
        const alarms = await activeAlarms();
        return alarms.find((a) => /^crac1\.supply_temp\.anomaly-(drift|band)$/.test(a.id) && a.active);
      }, 190_000, 'a drift or band alarm on crac1.supply_temp');
      const supply = (await api<{ value: number }>('/api/v1/points/crac1.supply_temp')).value;
      // HI is 27 °C: with the shipped on-delay the anomaly would have come with more than 3 °C to go
      const shippedSupply = supply + (SHIPPED_ON_DELAY_S - TEST_ON_DELAY_S) * DEGRADE_C_PER_S;
      expect(shippedSupply).toBeLessThan(24);
      expect(found.message).toMatch(/Supply air temperature/);
      expect(found.message).toMatch(/expected/);
      const limitAlarms = (await activeAlarms()).filter((a) => a.id.startsWith('crac1.supply-temp'));
      expect(limitAlarms).toEqual([]);
    } finally {
      await scenario('crac-degrading', 'off');
    }
  }, 250_000);
});
