/**
 * The write route's web side: a session must echo its CSRF token, API tokens need none, the
 * principal becomes the event's actor (a user or a token), and a write without a control service
 * answers not-writable. The device is an in-memory one; the service and auth are the real ones.
 * Also the config side: where a Modbus `write:` block is refused, with its file and line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import { formatProblem } from '../../core/errors.js';
import type { Driver, Writable } from '../../core/driver.js';
import { createLinkLock } from '../../core/link-lock.js';
import { silentLogger } from '../../core/logger.js';
import type { PointValue } from '../../core/types.js';
import { writeSpecSchema } from '../../core/write-spec.js';
import { createControlService } from '../../gateway/control/index.js';
import type { StoredEvent } from '../../gateway/store/types.js';
import { createWebRig, type WebRig } from '../helpers/web-app.js';

function rigWithControl(): WebRig {
  let value: PointValue = 20;
  const driver: Driver & Writable = {
    deviceId: 'crac1',
    linkId: 'crac1',
    async connect() {},
    async read() {
      return [{ pointId: 'crac1.supply_temp', ts: Date.now(), value, quality: 'good' }];
    },
    async write(_id, v) {
      value = v;
    },
    async reset() {},
    async close() {},
  };
  let rig: WebRig | undefined;
  const control = createControlService({
    devices: [
      {
        id: 'crac1',
        name: 'CRAC-1',
        kind: 'hvac',
        pollIntervalMs: 1000,
        driver: 'modbus',
        points: [{ id: 'crac1.supply_temp', key: 'supply_temp', name: 'Supply', write: writeSpecSchema.parse({ min: 10, max: 30 }) }],
      },
    ],
    driverOf: () => driver,
    deviceState: () => 'up',
    store: { latestOf: (id) => rig!.store.latestOf(id), appendEvent: (type, data) => rig!.store.appendEvent(type, data) },
    linkLock: createLinkLock(),
    config: { allowEms: false, rateLimitPerPoint: { count: 100, perSeconds: 60 } },
    logger: silentLogger,
  });
  rig = createWebRig({ extraDeps: { control } });
  return rig;
}

async function controlEvents(rig: WebRig): Promise<StoredEvent[]> {
  rig.store.flush();
  return rig.store.eventsAfter(0, 100).filter((e) => e.type === 'control.write');
}

describe('POST /api/v1/points/:id/write', () => {
  let rig: WebRig;
  afterEach(() => rig?.close());

  it('a session needs the CSRF token; with it the write goes through as the user', async () => {
    rig = rigWithControl();
    await rig.auth.addUser('olga', 'operator');
    const b = rig.browser();
    await b.login('olga');
    const body = JSON.stringify({ value: 22, comment: 'from the page' });
    const noCsrf = await b.request('/api/v1/points/crac1.supply_temp/write', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { error: { code: string } }).error.code).toBe('csrf');
    const csrf = await b.csrf();
    const ok = await b.request('/api/v1/points/crac1.supply_temp/write', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body,
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ result: 'verified', readBack: 22 });
    const events = await controlEvents(rig);
    expect(events).toHaveLength(1); // the CSRF failure never reached the service
    expect(events[0]!.data).toMatchObject({ actor: { kind: 'user', name: 'olga', role: 'operator' }, comment: 'from the page', result: 'verified' });
  });

  it('tokens need no CSRF; a viewer token gets 403 role and an event; bad bodies are 400', async () => {
    rig = rigWithControl();
    const post = (role: 'viewer' | 'operator', body: string) =>
      rig.app.request('/api/v1/points/crac1.supply_temp/write', { method: 'POST', headers: { ...rig.auth.bearer(role), 'content-type': 'application/json' }, body });
    const viewer = await post('viewer', JSON.stringify({ value: 22 }));
    expect(viewer.status).toBe(403);
    expect(await viewer.json()).toMatchObject({ result: 'refused', error: { code: 'role' } });
    expect((await post('operator', '{"value": 5}')).status).toBe(422);
    expect((await post('operator', 'not json')).status).toBe(400);
    expect((await post('operator', '[1]')).status).toBe(400);
    expect((await post('operator', JSON.stringify({ value: 22, comment: 7 }))).status).toBe(400);
    const ok = await post('operator', JSON.stringify({ value: 23 }));
    expect(ok.status).toBe(200);
    const events = await controlEvents(rig);
    expect(events.map((e) => [e.data.result, e.data.reason ?? null, (e.data.actor as { kind: string }).kind])).toEqual([
      ['refused', 'role', 'token'],
      ['refused', 'out-of-range', 'token'],
      ['verified', null, 'token'],
    ]);
  });

  it('without a control service every write is not-writable (422)', async () => {
    rig = createWebRig();
    const res = await rig.app.request('/api/v1/points/crac1.supply_temp/write', {
      method: 'POST',
      headers: { ...rig.auth.bearer('admin'), 'content-type': 'application/json' },
      body: JSON.stringify({ value: 1 }),
    });
    expect(res.status).toBe(422);
    // GET shows write: null for a point without limits
    const point = (await (await rig.app.request('/api/v1/points/crac1.supply_temp', { headers: rig.auth.bearer('viewer') })).json()) as { write: unknown };
    expect(point.write).toBeNull();
  });
});

describe('Modbus write blocks in the config', () => {
  const site = (points: string) => `gateway: { id: gw }
devices:
  - id: d1
    driver: modbus
    connection: { host: 127.0.0.1 }
    points:
${points}
`;
  const problems = (points: string) => parseSiteConfig(site(points), 'site.yaml').problems.map(formatProblem);

  it('refuses read-only tables, bits of registers, and limits that do not fit the type', () => {
    expect(
      problems(`      - { key: a, table: input, address: 0, write: {} }
      - { key: b, table: discrete, address: 0, write: {} }
      - { key: c, table: holding, address: 1, type: uint16, bit: 3, write: {} }
      - { key: d, table: holding, address: 2, type: uint16, write: { values: [1, 2] } }
      - { key: e, table: coil, address: 0, write: { min: 0 } }
      - { key: f, table: holding, address: 3, enum: { "0": "off", "1": "on" }, write: { values: ["off", "auto"] } }`),
    ).toEqual([
      'site.yaml:7 devices[0].points[0].write: input registers cannot be written',
      'site.yaml:8 devices[0].points[1].write: discrete inputs cannot be written',
      'site.yaml:9 devices[0].points[2].write: a bit of a register cannot be written (write the whole register as a point)',
      'site.yaml:10 devices[0].points[3].write: values: only for enum or bool points',
      'site.yaml:11 devices[0].points[4].write: min: only for numeric points, not bool points',
      'site.yaml:12 devices[0].points[5].write: values: "auto" is not one of the enum\'s labels',
    ]);
  });

  it('accepts holding and coil points and carries the spec with its defaults', () => {
    const { config, problems: found } = parseSiteConfig(
      site(`      - { key: sp, table: holding, address: 0, scale: 0.1, write: { min: 15, max: 30, step: 0.5, role: admin } }
      - { key: run, table: coil, address: 0, write: { values: [true, false], confirm: false } }`),
      'site.yaml',
    );
    expect(found).toEqual([]);
    const points = config!.devices[0]!.points;
    expect(points[0]!.write).toEqual({ min: 15, max: 30, step: 0.5, role: 'admin', confirm: true, readBack: true, timeoutMs: 5000 });
    expect(points[1]!.write).toMatchObject({ values: [true, false], confirm: false, role: 'operator' });
    expect(config!.control).toEqual({ allowEms: false, rateLimitPerPoint: { count: 6, perSeconds: 60 } });
  });

  it('OPC UA, MQTT and SNMP points carry their write block too; control: is read', () => {
    process.env.CONTROL_TEST_COMMUNITY = 'public';
    const { config, problems: found } = parseSiteConfig(
      `gateway: { id: gw }
control: { allowEms: true, rateLimitPerPoint: { count: 2 } }
devices:
  - id: o1
    driver: opcua
    connection: { endpoint: "opc.tcp://127.0.0.1:4840" }
    points:
      - { key: sp, nodeId: "ns=1;s=SP", write: { min: 1 } }
  - id: m1
    driver: mqtt
    connection: { url: "mqtt://127.0.0.1:1883" }
    points:
      - { key: sp, topic: "a/b", command: { topic: "a/b/set" }, write: { max: 5 } }
  - id: s1
    driver: snmp
    connection: { host: 127.0.0.1, community: "\${CONTROL_TEST_COMMUNITY}" }
    points:
      - { key: sp, oid: "1.3.6.1.4.1.1.0", type: integer, write: { role: admin } }
`,
      'site.yaml',
    );
    delete process.env.CONTROL_TEST_COMMUNITY;
    expect(found.map(formatProblem)).toEqual([]);
    const specs = config!.devices.map((d) => d.points[0]!.write);
    expect(specs).toMatchObject([{ min: 1, role: 'operator' }, { max: 5 }, { role: 'admin', readBack: true }]);
    expect(config!.control).toEqual({ allowEms: true, rateLimitPerPoint: { count: 2, perSeconds: 60 } });
  });
});
