/**
 * Writes end to end (issue 14): POST /api/v1/points/:id/write through the whole gateway (startGateway,
 * bearer tokens) to an independent Modbus server (pymodbus), each value read back by the gateway
 * and, independently, by `mbpoll`. Covers scale in reverse (uint16 ×0.1), int32 and float32 in ABCD
 * and CDAB, an enum by label, a coil, every refusal's HTTP code, and the `control.write` events.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../app/start-gateway.js';
import { loadSiteConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import { openAuthDb } from '../../gateway/auth/index.js';
import { createTokenStore } from '../../gateway/auth/tokens.js';
import { freePort } from '../helpers/free-port.js';
import { peersAvailable } from '../helpers/peers.js';
import { type PymodbusPeer, startPymodbus } from '../helpers/pymodbus.js';

const RUN = peersAvailable('pymodbus', 'mbpoll');
const run = promisify(execFile);

type Role = 'viewer' | 'operator' | 'admin' | 'ems';

/** The fields of the JSON replies this test reads (a write result, a point, a device, events). */
interface Reply {
  result?: string;
  readBack?: number | boolean | string;
  error?: { code: string; message: string };
  write?: unknown;
  value?: unknown;
  status?: string;
  items?: Array<{ type: string; data: ControlEventData }>;
}
interface ControlEventData {
  actor: { kind: string; name: string; role: string };
  reason?: string;
  durationMs?: number;
  [field: string]: unknown;
}

describe.skipIf(!RUN)('control writes through the gateway to a Modbus server', () => {
  let dir: string;
  let peer: PymodbusPeer;
  let gateway: RunningGateway;
  const tokens = {} as Record<Role, string>;

  const call = async (method: string, path: string, role: Role, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${gateway.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Reply };
  };
  const write = (point: string, value: unknown, role: Role = 'operator', comment?: string) =>
    call('POST', `/api/v1/points/${point}/write`, role, { value, ...(comment !== undefined && { comment }) });

  /** mbpoll's reading of one value: type 4 (uint16), 4:int / 4:float (32-bit, -B = ABCD), 0 (coil). */
  async function mbpoll(type: string, address: number, bigEndian = false): Promise<number> {
    const args = ['-1', '-0', '-m', 'tcp', '-p', String(peer.port), '-a', '1', '-t', type, '-r', String(address), ...(bigEndian ? ['-B'] : []), '127.0.0.1'];
    const { stdout } = await run('mbpoll', args, { timeout: 10_000 });
    const m = new RegExp(`^\\[${address}\\]:\\s+(\\S+)`, 'm').exec(stdout);
    if (!m) throw new Error(`mbpoll gave no value:\n${stdout}`);
    return Number(m[1]);
  }

  async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await check().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    peer = await startPymodbus({ transport: 'tcp' }, {
      1: {
        holding: [
          { address: 0, type: 'uint16', value: 220 },
          { address: 10, type: 'int32', order: 'ABCD', value: 7 },
          { address: 12, type: 'int32', order: 'CDAB', value: 7 },
          { address: 20, type: 'float32', order: 'ABCD', value: 1.5 },
          { address: 22, type: 'float32', order: 'CDAB', value: 1.5 },
          { address: 30, type: 'uint16', value: 1 },
          { address: 31, type: 'uint16', value: 0 },
          { address: 32, type: 'uint16', value: 5 },
          { address: 40, type: 'uint16', value: 0 },
        ],
        coils: [{ address: 0, bits: [false] }],
      },
    });
    const deadPort = await freePort(); // nothing listens here: that device goes down
    dir = mkdtempSync(join(tmpdir(), 'gw-control-modbus-'));
    const file = join(dir, 'site.yaml');
    writeFileSync(
      file,
      `gateway: { id: e2e-control, dataDir: ./data }
http: { host: 127.0.0.1, port: 0 }
storage: { commitIntervalMs: 50 }
control: { rateLimitPerPoint: { count: 3, perSeconds: 60 } }
devices:
  - id: crac1
    name: CRAC 1
    kind: hvac
    driver: modbus
    connection: { host: 127.0.0.1, port: ${peer.port}, unitId: 1, timeoutMs: 1000 }
    pollIntervalMs: 500
    points:
      - { key: setpoint, table: holding, address: 0, type: uint16, scale: 0.1, unit: "°C", write: { min: 15, max: 30, step: 0.1 } }
      - { key: i32_abcd, table: holding, address: 10, type: int32, write: { min: -100000, max: 100000 } }
      - { key: i32_cdab, table: holding, address: 12, type: int32, wordOrder: CDAB, write: {} }
      - { key: f32_abcd, table: holding, address: 20, type: float32, write: { min: -1000, max: 1000 } }
      - { key: f32_cdab, table: holding, address: 22, type: float32, wordOrder: CDAB, write: { min: -1000, max: 1000 } }
      - { key: mode, table: holding, address: 30, type: uint16, enum: { "0": "off", "1": "cool", "2": "fan" }, write: { values: [off, cool, fan] } }
      - { key: limit, table: holding, address: 31, type: uint16, write: { max: 100, role: admin } }
      - { key: fixed, table: holding, address: 32, type: uint16 }
      - { key: spare, table: holding, address: 40, type: uint16, write: { readBack: false } }
      - { key: run, table: coil, address: 0, write: { values: [true, false] } }
  - id: dead1
    name: Dead CRAC
    kind: hvac
    driver: modbus
    connection: { host: 127.0.0.1, port: ${deadPort}, unitId: 1, timeoutMs: 200 }
    pollIntervalMs: 200
    points:
      - { key: setpoint, table: holding, address: 0, type: uint16, write: {} }
`,
    );
    const config = loadSiteConfig(file);
    mkdirSync(config.gateway.dataDir, { recursive: true });
    const authDb = openAuthDb(join(config.gateway.dataDir, 'auth.db'));
    const store = createTokenStore(authDb);
    for (const role of ['viewer', 'operator', 'admin', 'ems'] as const) tokens[role] = store.create(`e2e-${role}`, role).token;
    authDb.close();
    gateway = await startGateway(config, { logger: silentLogger, version: 'test', firstAdmin: false });
    await until(async () => ((await call('GET', '/api/v1/points/crac1.setpoint', 'viewer')).body.value === 22 ? true : undefined), 'the first poll', 15_000);
    await until(async () => ((await call('GET', '/api/v1/devices/dead1', 'viewer')).body.status === 'down' ? true : undefined), 'dead1 down', 15_000);
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await peer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows a point’s write limits', async () => {
    const { status, body } = await call('GET', '/api/v1/points/crac1.setpoint', 'viewer');
    expect(status).toBe(200);
    expect(body.write).toEqual({ min: 15, max: 30, step: 0.1, role: 'operator', confirm: true, readBack: true, timeoutMs: 5000 });
    expect((await call('GET', '/api/v1/points/crac1.fixed', 'viewer')).body.write).toBeNull();
  });

  it('writes a ×0.1 setpoint (FC6, scale in reverse) and reads it back', async () => {
    const { status, body } = await write('crac1.setpoint', 23.7, 'operator', 'warmer for the night');
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ result: 'verified', oldValue: 22, requested: 23.7, readBack: 23.7 });
    expect(await mbpoll('4', 0)).toBe(237);
  });

  it('writes int32 and float32 in ABCD and CDAB (FC16, word order in reverse)', async () => {
    expect((await write('crac1.i32_abcd', -70000)).body).toMatchObject({ result: 'verified', readBack: -70000 });
    expect((await write('crac1.i32_cdab', 123456)).body).toMatchObject({ result: 'verified', readBack: 123456 });
    expect((await write('crac1.f32_abcd', 21.25)).body).toMatchObject({ result: 'verified', readBack: 21.25 });
    const f = await write('crac1.f32_cdab', -3.3);
    expect(f.body).toMatchObject({ result: 'verified' });
    expect(f.body.readBack).toBeCloseTo(-3.3, 5);
    // mbpoll: -B is ABCD (big-endian words), without it CDAB
    expect(await mbpoll('4:int', 10, true)).toBe(-70000);
    expect(await mbpoll('4:int', 12)).toBe(123456);
    expect(await mbpoll('4:float', 20, true)).toBe(21.25);
    expect(await mbpoll('4:float', 22)).toBeCloseTo(-3.3, 5);
  });

  it('writes an enum by label and a coil (FC5)', async () => {
    expect((await write('crac1.mode', 'fan')).body).toMatchObject({ result: 'verified', oldValue: 'cool', readBack: 'fan' });
    expect(await mbpoll('4', 30)).toBe(2);
    expect((await write('crac1.run', true)).body).toMatchObject({ result: 'verified', oldValue: false, readBack: true });
    expect(await mbpoll('0', 0)).toBe(1);
    // readBack: false answers `written` without reading
    expect((await write('crac1.spare', 9)).body).toMatchObject({ result: 'written' });
    expect(await mbpoll('4', 40)).toBe(9);
  });

  it('answers each refusal with its code, and the device is not touched', async () => {
    const cases: Array<[string, unknown, Role, number, string]> = [
      ['crac1.setpoint', 'warm', 'operator', 400, 'bad-value'],
      ['crac1.setpoint', 31, 'operator', 422, 'out-of-range'],
      ['crac1.setpoint', 21.55, 'operator', 422, 'out-of-range'],
      ['crac1.mode', 'heat', 'operator', 422, 'out-of-range'],
      ['crac1.fixed', 6, 'operator', 422, 'not-writable'],
      ['crac1.nope', 1, 'operator', 404, 'not-found'],
      ['crac1.setpoint', 21, 'viewer', 403, 'role'],
      ['crac1.setpoint', 21, 'ems', 403, 'role'], // control.allowEms is off
      ['crac1.limit', 50, 'operator', 403, 'role'], // an admin point
      ['dead1.setpoint', 1, 'operator', 409, 'device-down'],
    ];
    for (const [point, value, role, status, code] of cases) {
      const res = await write(point, value, role);
      expect([point, value, role, res.status, res.body.error?.code]).toEqual([point, value, role, status, code]);
      expect(res.body.error?.message).toEqual(expect.any(String));
    }
    expect(await mbpoll('4', 0)).toBe(237);
    expect(await mbpoll('4', 32)).toBe(5);
    expect(await mbpoll('4', 31)).toBe(0);
    expect((await write('crac1.limit', 50, 'admin')).body).toMatchObject({ result: 'verified' });
    // a comment longer than 500 characters is a bad request (not an attempt)
    expect((await write('crac1.setpoint', 21, 'operator', 'x'.repeat(501))).status).toBe(400);
  });

  it('rate-limits writes per point (429)', async () => {
    // crac1.spare had 1 write; the window allows 3 per minute
    expect((await write('crac1.spare', 10)).status).toBe(200);
    expect((await write('crac1.spare', 11)).status).toBe(200);
    const limited = await write('crac1.spare', 12);
    expect(limited.status).toBe(429);
    expect(limited.body.error?.code).toBe('rate-limited');
    expect(await mbpoll('4', 40)).toBe(11);
  });

  it('records every attempt as a control.write event', async () => {
    const events = await until(async () => {
      const { body } = await call('GET', '/api/v1/events?limit=1000', 'viewer');
      const mine = (body.items ?? []).filter((e) => e.type === 'control.write');
      return mine.length >= 22 ? mine : undefined;
    }, 'the control.write events', 5000);
    const first = events[0]!.data;
    expect(first).toMatchObject({
      pointId: 'crac1.setpoint',
      deviceId: 'crac1',
      actor: { kind: 'token', name: 'e2e-operator', role: 'operator' },
      oldValue: 22,
      requested: 23.7,
      readBack: 23.7,
      result: 'verified',
      comment: 'warmer for the night',
    });
    expect(first.durationMs).toEqual(expect.any(Number));
    const reasons = events.map((e) => e.data.reason).filter(Boolean);
    for (const r of ['bad-value', 'out-of-range', 'not-writable', 'not-found', 'role', 'device-down', 'rate-limited']) expect(reasons).toContain(r);
    expect(events.find((e) => e.data.actor.role === 'viewer')?.data).toMatchObject({ result: 'refused', reason: 'role' });
  });
});
