/** The scenario control API over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import type { ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import { decodeRegisters } from '../../drivers/modbus/codec.js';
import {
  type ControlServer,
  type SimulatedSite,
  startControlServer,
  startSimulatedSite,
} from '../../drivers/modbus/simulator/index.js';

const { config } = parseSiteConfig(
  `gateway: { id: t }
devices:
  - { id: ups1, name: UPS 1, kind: ups, driver: modbus, profile: ups-generic, connection: { host: 127.0.0.1, port: 1 } }
`,
  'site.yaml',
);
const [first] = config!.devices as ModbusDeviceConfig[];
const ups = { ...first!, connection: { ...first!.connection, port: 0 } };

let site: SimulatedSite;
let control: ControlServer;

beforeAll(async () => {
  site = await startSimulatedSite([ups]);
  control = await startControlServer(site, { port: 0 });
});
afterAll(async () => {
  await control?.close();
  await site?.stop();
});

const put = (path: string, body: string) =>
  fetch(`${control.url}${path}`, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });

describe('control server', () => {
  it('listens on loopback', () => {
    expect(control.host).toBe('127.0.0.1');
    expect(control.url).toBe(`http://127.0.0.1:${control.port}`);
  });

  it('GET /scenarios lists every scenario, all off at start', async () => {
    const res = await fetch(`${control.url}/scenarios`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ 'power-failure': false, 'cooling-failure': false, 'hot-spot': false, 'crac-degrading': false });
  });

  it('PUT /scenarios/{name} switches it and the registers show it at once', async () => {
    const on = await put('/scenarios/power-failure', '{"active":true}');
    expect(on.status).toBe(200);
    expect(await on.json()).toEqual({ 'power-failure': true, 'cooling-failure': false, 'hot-spot': false, 'crac-degrading': false });
    expect(site.scenarios()['power-failure']).toBe(true);
    const status = site.slave('ups1').bank.getWords('holding', 0, 1);
    const onBattery = ups.points.find((p) => p.key === 'on_battery')!;
    expect(decodeRegisters(onBattery, status, 0).value).toBe(true);

    const off = await put('/scenarios/power-failure', '{"active":false}');
    expect(await off.json()).toEqual({ 'power-failure': false, 'cooling-failure': false, 'hot-spot': false, 'crac-degrading': false });
    expect(site.slave('ups1').value('on_battery')).toBe(false);
  });

  it.each([
    ['unknown scenario', '/scenarios/meteor-strike', '{"active":true}', 404, /unknown scenario "meteor-strike"/],
    ['not JSON', '/scenarios/power-failure', 'yes please', 400, /active/],
    ['active not a boolean', '/scenarios/power-failure', '{"active":"true"}', 400, /active/],
    ['no body', '/scenarios/power-failure', '', 400, /active/],
    ['unknown path', '/nothing', '{}', 404, /no such resource/],
  ])('%s → %i with a JSON error', async (_name, path, body, status, message) => {
    const res = await put(path, body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: string };
    expect(json.error).toMatch(message);
    expect(site.scenarios()).toEqual({ 'power-failure': false, 'cooling-failure': false, 'hot-spot': false, 'crac-degrading': false });
  });

  it('a wrong method is 405', async () => {
    expect((await fetch(`${control.url}/scenarios`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${control.url}/scenarios/power-failure`)).status).toBe(405);
  });
});
