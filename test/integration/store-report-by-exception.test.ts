/**
 * Report-by-exception storage end to end: a UPS served by our Modbus simulator over TCP on
 * loopback, polled by the real sampler into a real store whose policies come from the config
 * loader (the ups-generic profile's `store:` lines, one overridden in the site file), with the
 * real alarm engine on the store's commits. The output load rises above its alarm limit but stays
 * inside its deadband of the last stored value: the alarm raises on a sample that never gets a
 * row, the latest value follows every poll, and the store holds far fewer rows than it polled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import type { Reading } from '../../core/types.js';
import type { ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import { createModbusDriver, createModbusLinkPool } from '../../drivers/modbus/index.js';
import { type SimulatedSite, startSimulatedSite } from '../../drivers/modbus/simulator/index.js';
import { type AlarmEngine, createAlarmEngine } from '../../gateway/alarms/engine.js';
import { createSampler, type Sampler } from '../../gateway/sampler.js';
import { createStore, type Store } from '../../gateway/store/index.js';
import { NAMES } from '../helpers/alarm-fixtures.js';
import { waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';

const POLL_MS = 100;
const LOAD = 'ups1.output_load';

describe('report-by-exception storage under a polling gateway', () => {
  let dir: string;
  let site: SimulatedSite;
  let store: Store;
  let sampler: Sampler;
  let engine: AlarmEngine;
  const heard: Reading[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-rbe-'));
    const yaml = `gateway: { id: t, dataDir: ${dir} }
storage: { byException: true }
devices:
  - id: ups1
    kind: ups
    driver: modbus
    connection: { host: 127.0.0.1, port: ${await freePort()}, unitId: 1, timeoutMs: 500 }
    pollIntervalMs: ${POLL_MS}
    profile: ups-generic
    points:
      # the profile stores the load on a 2 % move; this site only on 10 %
      - { key: output_load, store: { deadband: 10, heartbeatS: 600 } }
alarms:
  - { id: ups1-load-hi, point: ${LOAD}, hi: 80, severity: major }
`;
    const { config, problems } = parseSiteConfig(yaml, join(dir, 'site.yaml'));
    expect(problems).toEqual([]);
    expect(config!.storePolicies?.[LOAD]).toEqual({ deadband: 10, heartbeatS: 600 });
    expect(config!.storePolicies?.['ups1.input_voltage']).toEqual({ deadbandPct: 1, heartbeatS: 300 });
    const devices = config!.devices as ModbusDeviceConfig[];
    // values move only when the test holds them (no model tick during the test)
    site = await startSimulatedSite(devices, { tickMs: 600_000 });
    site.slave('ups1').hold('output_load', 75);

    store = createStore({
      file: join(dir, 'gateway.db'),
      synchronous: 'normal',
      commitIntervalMs: 50,
      maxBatch: 1000,
      retention: { maxAgeDays: 0, maxSizeMB: 0 },
      logger: silentLogger,
      storePolicies: new Map(Object.entries(config!.storePolicies ?? {})),
    });
    store.onCommit((b) => heard.push(...b.readings));
    const links = createModbusLinkPool({ logger: silentLogger });
    sampler = createSampler({
      devices: devices.map((d) => ({ driver: createModbusDriver(d, { links, logger: silentLogger }), pollIntervalMs: d.pollIntervalMs, pointIds: d.points.map((p) => p.id) })),
      sink: (s) => store.append(s),
      logger: silentLogger,
      backoff: { initialMs: 200, maxMs: 400 },
    });
    engine = createAlarmEngine({
      rules: config!.alarms,
      settings: config!.alarmSettings,
      store,
      names: NAMES,
      deviceState: (id) => sampler.statusOf(id)?.state,
      logger: silentLogger,
      tickMs: 100,
    });
    engine.start();
    sampler.start();
  });

  afterAll(async () => {
    engine?.stop();
    await sampler?.stop();
    store?.close();
    await site?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const loadSamples = () => heard.filter((r) => r.pointId === LOAD);

  it('raises the alarm on a sample between stored rows, keeps the live value fresh, and stores far fewer rows', async () => {
    await waitFor(() => (loadSamples().length >= 5 ? true : undefined), 5000, 'five polls of the load');
    expect(engine.list('active')).toEqual([]);

    // 82 % is above the 80 % limit but within 10 of the stored 75: no row, yet an alarm.
    site.slave('ups1').hold('output_load', 82);
    const raised = await waitFor(() => engine.list('active').find((a) => a.id === 'ups1-load-hi.hi'), 5000, 'the load alarm');
    expect(raised).toMatchObject({ state: 'unack', severity: 'major' });
    expect(store.latestOf(LOAD)).toMatchObject({ value: 82, seq: 0 });

    site.slave('ups1').hold('output_load', 76);
    const backAt = Date.now();
    await waitFor(() => (store.latestOf(LOAD)?.value === 76 ? true : undefined), 5000, 'the live value back at 76');
    const heardBefore = loadSamples().length;
    await waitFor(() => (loadSamples().length >= heardBefore + 5 ? true : undefined), 5000, 'five more polls');
    store.flush();

    // every poll reached the subscribers; the readings table kept the first value only
    const polled = loadSamples();
    expect(polled.filter((r) => r.value === 82).length).toBeGreaterThan(0);
    expect(polled.filter((r) => r.seq === 0).length).toBe(polled.length - 1);
    const rows = store.history(LOAD, 0, Date.now() + 1000);
    expect(rows.map((r) => r.value)).toEqual([75]);
    const raise = store.eventsAfter(0, 100).find((e) => e.type === 'alarm.raised' && e.data.alarmId === 'ups1-load-hi.hi');
    expect(raise?.data.value).toBe(82);
    // the live value is the newest poll, not the last stored row
    const live = store.latestOf(LOAD)!;
    expect(live.value).toBe(76);
    expect(live.ts).toBeGreaterThanOrEqual(backAt - POLL_MS);

    // the whole device: every profile point has a policy, so a steady UPS stores almost nothing
    const stats = store.stats();
    expect(stats.readingCount).toBeLessThan(heard.length / 5);
    expect(new Set(store.readingsAfter(0, 10_000).map((r) => r.seq)).size).toBe(stats.readingCount);
    expect(stats.lastReadingSeq).toBe(stats.readingCount);
  });
});
