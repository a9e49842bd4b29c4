/**
 * The simulated MQTT sensors of the demo site: they log in to the embedded broker like real
 * ones, every configured point gets good values through the real ingest, and the hot-spot
 * scenario heats some racks and not others.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSiteConfig } from '../../config/index.js';
import type { MqttDeviceLike } from '../../drivers/mqtt/point.js';
import { type MqttRuntime, startMqttRuntime } from '../../drivers/mqtt/runtime.js';
import { type SensorSimulator, startSensorSimulator } from '../../drivers/mqtt/simulator/index.js';
import { silentLogger } from '../../core/logger.js';
import type { Sample } from '../../core/types.js';
import { REPO_ROOT } from '../helpers/cli.js';

describe('MQTT sensor simulator on the demo config', () => {
  // the demo's SNMP community comes from the environment (`gateway demo` sets it)
  process.env.GATEWAY_DEMO_SNMP_COMMUNITY ??= 'mqtt-simulator-test';
  const config = loadSiteConfig(join(REPO_ROOT, 'config', 'demo.yaml'));
  const devices = config.devices.filter((d): d is typeof d & MqttDeviceLike => d.driver === 'mqtt' && !d.connection);
  let runtime: MqttRuntime;
  let sim: SensorSimulator;
  let clock = Date.now();
  const scenarios = { 'hot-spot': false };
  const latest = new Map<string, Sample>();
  const stops: Array<() => void> = [];

  beforeAll(async () => {
    expect(config.mqttBroker?.enabled).toBe(true);
    runtime = await startMqttRuntime({
      broker: { ...config.mqttBroker!, host: '127.0.0.1', port: 0 },
      devices,
      gatewayId: 'sim-test',
      baseDir: REPO_ROOT,
      logger: silentLogger,
    });
    for (const d of devices) {
      const driver = runtime.driverFor(d);
      await driver.connect(AbortSignal.timeout(5000));
      stops.push(
        driver.subscribe((samples) => {
          for (const s of samples) latest.set(s.pointId, s);
        }),
      );
    }
    sim = await startSensorSimulator({
      devices,
      url: `mqtt://127.0.0.1:${runtime.broker!.port}`,
      username: 'demo-sensors',
      password: 'demo-sensors',
      scenarios: () => scenarios,
      tickMs: 60_000,
      now: () => clock,
      logger: silentLogger,
    });
    const end = Date.now() + 5000;
    while (sim.published() === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  });

  afterAll(async () => {
    for (const stop of stops) stop();
    await sim?.stop();
    await runtime?.close();
  });

  const settle = async () => {
    const before = runtime.health().ingest.messages;
    await sim.tick();
    const end = Date.now() + 3000;
    while (runtime.health().ingest.messages < before + sim.topics.length && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  };

  it('publishes a good value for every MQTT point of the demo, with nothing refused', async () => {
    await settle();
    const points = devices.flatMap((d) => d.points.map((p) => p.id));
    expect(points.length).toBeGreaterThanOrEqual(10);
    for (const id of points) expect.soft(latest.get(id), id).toMatchObject({ quality: 'good' });
    expect(Object.values(runtime.health().ingest.rejected).every((n) => n === 0)).toBe(true);
    expect(runtime.health().broker!.authFailures).toBe(0);
  });

  it('hot-spot heats some racks toward 38 °C and leaves the others', async () => {
    const temps = () =>
      [...latest.values()].filter((s) => /temperature$/.test(s.pointId)).map((s) => [s.pointId, s.value as number] as const);
    const before = new Map(temps());
    scenarios['hot-spot'] = true;
    // ~0.6 °C a minute: past 35 °C within half an hour
    for (let i = 0; i < 30; i++) {
      clock += 60_000;
      await settle();
    }
    const after = temps();
    const hot = after.filter(([id, v]) => v > 35 && before.get(id)! < 27);
    const normal = after.filter(([, v]) => v < 27);
    expect(hot.length).toBeGreaterThanOrEqual(1);
    expect(normal.length).toBeGreaterThan(hot.length);
    scenarios['hot-spot'] = false;
    for (let i = 0; i < 4; i++) {
      clock += 60_000;
      await settle();
    }
    expect(temps().every(([, v]) => v < 27)).toBe(true);
  });
});
