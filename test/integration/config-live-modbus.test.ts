/**
 * Live configuration through the whole gateway (startGateway, bearer tokens) on a real Modbus
 * server (pymodbus, four units behind one TCP port): the dry run (admin only, every problem with
 * its line, nothing changed), restart-only settings refused by name, and an apply that adds one
 * device and changes another while the unchanged devices keep every poll slot (their readings'
 * spacing and per-second counts across the change). Then versions, their diffs, the
 * `config.applied` events, the site file rewritten, and a reload from the file (SIGHUP's path).
 * Last, the guard: a change that takes a device down is undone by itself (`config.rolled-back`
 * with the reason), unless the apply opted out; and a rollback asked for over the API.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { type RunningGateway, startGateway } from '../../app/start-gateway.js';
import { loadSiteConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import { openAuthDb } from '../../gateway/auth/index.js';
import { createTokenStore } from '../../gateway/auth/tokens.js';
import { peersAvailable } from '../helpers/peers.js';
import { type PymodbusPeer, startPymodbus } from '../helpers/pymodbus.js';

const RUN = peersAvailable('pymodbus');
const POLL_MS = 250;

type Role = 'viewer' | 'operator' | 'admin';

// biome-ignore lint/suspicious/noExplicitAny: JSON replies of several shapes
type Json = any;

function device(id: string, unitId: number, port: number, extraPoints = ''): string {
  return `  - id: ${id}
    driver: modbus
    connection: { host: 127.0.0.1, port: ${port}, unitId: ${unitId}, timeoutMs: 1000 }
    pollIntervalMs: ${POLL_MS}
    points:
      - { key: load, table: holding, address: 0, type: uint16 }
${extraPoints}`;
}

function site(devices: string, http = 'host: 127.0.0.1, port: 0'): string {
  return `gateway: { id: live-cfg, dataDir: ./data }
http: { ${http} }
storage: { commitIntervalMs: 50 }
devices:
${devices}`;
}

describe.skipIf(!RUN)('live configuration on a running gateway', () => {
  let dir: string;
  let file: string;
  let peer: PymodbusPeer;
  let gateway: RunningGateway;
  let base: string;
  const tokens = {} as Record<Role, string>;

  const call = async (method: string, path: string, role: Role, body?: string): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`http://127.0.0.1:${gateway.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/yaml' },
      ...(body !== undefined && { body }),
    });
    return { status: res.status, body: await res.json() };
  };

  async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await check().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The stored reading times of one point in [from, to], read from the gateway's own database. */
  function readingTimes(point: string, from: number, to: number): number[] {
    const db = new Database(join(dir, 'data', 'gateway.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db
        .prepare('SELECT r.ts AS ts FROM readings r JOIN points p ON p.id = r.point WHERE p.name = ? AND r.ts BETWEEN ? AND ? AND r.quality = 0 ORDER BY r.ts')
        .all(point, from, to) as { ts: number }[];
      return rows.map((r) => r.ts);
    } finally {
      db.close();
    }
  }

  beforeAll(async () => {
    const unit = (value: number) => ({ holding: [{ address: 0, type: 'uint16' as const, value }, { address: 1, type: 'uint16' as const, value: value + 1 }] });
    peer = await startPymodbus({ transport: 'tcp' }, { 1: unit(10), 2: unit(20), 3: unit(30), 4: unit(40) });
    dir = mkdtempSync(join(tmpdir(), 'gw-live-config-'));
    file = join(dir, 'site.yaml');
    base = device('ups1', 1, peer.port!) + device('ups2', 2, peer.port!) + device('pdu1', 3, peer.port!);
    writeFileSync(file, site(base));
    const config = loadSiteConfig(file);
    mkdirSync(config.gateway.dataDir, { recursive: true });
    const authDb = openAuthDb(join(config.gateway.dataDir, 'auth.db'));
    const store = createTokenStore(authDb);
    for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = store.create(`live-${role}`, role).token;
    authDb.close();
    gateway = await startGateway(config, { logger: silentLogger, version: 'test', firstAdmin: false });
    await until(async () => ((await call('GET', '/api/v1/points/pdu1.load', 'viewer')).body.value === 30 ? true : undefined), 'the first polls', 15_000);
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await peer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lets only an admin read or change the configuration', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      expect((await call('POST', '/api/v1/config?dryRun=1', role, site(base))).status).toBe(403);
      expect((await call('POST', '/api/v1/config', role, site(base))).status).toBe(403);
      expect((await call('GET', '/api/v1/config', role)).status).toBe(403);
      expect((await call('GET', '/api/v1/config/versions', role)).status).toBe(403);
    }
    const { status, body } = await call('GET', '/api/v1/config', 'admin');
    expect(status).toBe(200);
    expect(body.config.devices.map((d: Json) => d.id)).toEqual(['ups1', 'ups2', 'pdu1']);
    expect(body.version).toMatchObject({ n: 1 });
  });

  it('lists every problem of a broken config with its line, and changes nothing', async () => {
    const broken = site(`${base}  - id: crac1
    driver: modbus
    connection: { host: 127.0.0.1, port: ${peer.port}, unitId: 4 }
    pollIntervalMs: 50
    points:
      - { key: t, table: holding, address: 70000, type: uint16 }
`);
    for (const path of ['/api/v1/config?dryRun=1', '/api/v1/config']) {
      const { status, body } = await call('POST', path, 'admin', broken);
      expect(status).toBe(422);
      expect(body.valid).toBe(false);
      const lines = body.problems.map((p: Json) => p.text.replace(`${file}:`, 'site.yaml:'));
      expect(lines).toEqual(['site.yaml:26 devices[3].pollIntervalMs: 50 is below 100', 'site.yaml:28 devices[3].points[0].address: 70000 exceeds 65535']);
    }
    expect((await call('GET', '/api/v1/config/versions', 'admin')).body.versions).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toBe(site(base));
  });

  it('takes a site file larger than the usual API body limit, and refuses one beyond the site-file limit', async () => {
    // ~300 KiB of comments: a big site's YAML, far over the 64 KiB every other route takes
    const big = `${site(base)}${'# a long commented site file, as a 200-device site is\n'.repeat(6000)}`;
    const dry = await call('POST', '/api/v1/config?dryRun=1', 'admin', big);
    expect(dry.status).toBe(200);
    expect(dry.body.valid).toBe(true);
    const huge = `${site(base)}${'#'.repeat(5 * 1024 * 1024)}\n`;
    expect((await call('POST', '/api/v1/config?dryRun=1', 'admin', huge)).status).toBe(413);
  });

  it('refuses a change that needs a restart, naming it, and changes nothing', async () => {
    const text = site(base, 'host: 127.0.0.1, port: 1');
    const dry = await call('POST', '/api/v1/config?dryRun=1', 'admin', text);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ valid: true, applicable: false, refusals: ['http.port: needs a restart'] });
    const applied = await call('POST', '/api/v1/config', 'admin', text);
    expect(applied.status).toBe(409);
    expect(applied.body.refusals).toEqual(['http.port: needs a restart']);
    expect((await call('GET', '/api/v1/config/versions', 'admin')).body.versions).toHaveLength(1);
  });

  it('adds a device and changes another live while the others keep every poll slot', async () => {
    const changed =
      device('ups1', 1, peer.port!) +
      device('ups2', 2, peer.port!, '      - { key: temp, table: holding, address: 1, type: uint16 }\n') +
      device('pdu1', 3, peer.port!) +
      device('crac1', 4, peer.port!);
    const text = site(changed);
    // the dry run shows the change and does not make it
    const dry = await call('POST', '/api/v1/config?dryRun=1', 'admin', text);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ valid: true, applicable: true, refusals: [] });
    expect(dry.body.diff.lists.devices).toEqual({ added: ['crac1'], removed: [], changed: [{ id: 'ups2', fields: ['points'] }] });
    expect(dry.body.summary).toEqual(['devices: + crac1, ~ ups2 (points)']);
    expect((await call('GET', '/api/v1/devices/crac1', 'viewer')).status).toBe(404);

    const before = await call('GET', '/api/v1/devices/ups1', 'viewer');
    const beforeAt = Date.now();
    // two seconds of readings before the change
    await new Promise((r) => setTimeout(r, 2000));
    const changeAt = Date.now();
    const applied = await call('POST', '/api/v1/config', 'admin', text);
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body).toMatchObject({ applied: true, version: 2, summary: ['devices: + crac1, ~ ups2 (points)'] });
    await until(async () => ((await call('GET', '/api/v1/points/crac1.load', 'viewer')).body.value === 40 ? true : undefined), 'the added device', 10_000);
    await until(async () => ((await call('GET', '/api/v1/points/ups2.temp', 'viewer')).body.value === 21 ? true : undefined), 'the changed device', 10_000);
    await new Promise((r) => setTimeout(r, 3000));
    const from = changeAt - 2000;
    const to = Date.now() - 300; // the last commits may still be on their way

    for (const id of ['ups1', 'pdu1']) {
      const times = readingTimes(`${id}.load`, from, to);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      // A missed slot leaves two intervals between readings and one reading fewer in the window
      // (a poll made late by a busy machine leaves a long gap too, but then a short one: no fewer).
      expect(Math.max(...gaps), `${id} gaps ${gaps.join(',')}`).toBeLessThan(POLL_MS * 2);
      expect(times.length, `${id} readings`).toBeGreaterThanOrEqual(Math.floor((to - from) / POLL_MS) - 1);
      // readings per whole second across the change: 4 at 250 ms, none short
      const perSecond = new Map<number, number>();
      for (const t of times) perSecond.set(Math.floor((t - from) / 1000), (perSecond.get(Math.floor((t - from) / 1000)) ?? 0) + 1);
      const whole = [...perSecond.entries()].filter(([s]) => s < Math.floor((to - from) / 1000)).map(([, n]) => n);
      if (process.env.LIVE_CONFIG_REPORT) console.log(id, 'max gap', Math.max(...gaps), 'per second', whole.join(','));
      expect(whole.length).toBeGreaterThanOrEqual(4);
      for (const n of whole) expect(n, `${id} readings per second ${whole.join(',')}`).toBeGreaterThanOrEqual(3);
    }
    // the unchanged device's poller was never restarted: its poll count went on, no slot skipped
    const after = await call('GET', '/api/v1/devices/ups1', 'viewer');
    // (a restarted poller would count from zero again)
    expect(after.body.polls - before.body.polls).toBeGreaterThanOrEqual(Math.floor((Date.now() - beforeAt) / POLL_MS) - 2);
    expect(after.body.overruns).toBe(before.body.overruns);
    // the catalog and the page follow
    expect((await call('GET', '/api/v1/devices/crac1', 'viewer')).status).toBe(200);
    expect(readFileSync(file, 'utf8')).toBe(text);
  }, 40_000);

  it('keeps each applied config as a version with its diff and a config.applied event', async () => {
    const versions = (await call('GET', '/api/v1/config/versions', 'admin')).body.versions;
    expect(versions.map((v: Json) => [v.n, v.source, v.who])).toEqual([
      [2, 'api', 'live-admin'],
      [1, 'file', 'gateway'],
    ]);
    expect(versions[0].hash).toMatch(/^[0-9a-f]{64}$/);
    const diff = await call('GET', '/api/v1/config/versions/2/diff', 'admin');
    expect(diff.body.diff.lists.devices.added).toEqual(['crac1']);
    expect((await call('GET', '/api/v1/config/versions/9/diff', 'admin')).status).toBe(404);
    const events = (await call('GET', '/api/v1/events?limit=1000', 'viewer')).body.items.filter((e: Json) => e.type === 'config.applied');
    expect(events.map((e: Json) => [e.data.version, e.data.source])).toEqual([
      [1, 'file'],
      [2, 'api'],
    ]);
    expect(events[1].data.changes).toEqual(['devices: + crac1, ~ ups2 (points)']);
  });

  it('reloads the site file (the SIGHUP path): a removed device stops, the others go on', async () => {
    const text = site(device('ups1', 1, peer.port!) + device('ups2', 2, peer.port!, '      - { key: temp, table: holding, address: 1, type: uint16 }\n') + device('crac1', 4, peer.port!));
    writeFileSync(file, text);
    const outcome = await gateway.reload();
    expect(outcome).toMatchObject({ status: 'applied', summary: ['devices: - pdu1'] });
    expect((await call('GET', '/api/v1/devices/pdu1', 'viewer')).status).toBe(404);
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    expect(readingTimes('pdu1.load', stoppedAt + 200, Date.now())).toEqual([]);
    expect(readingTimes('ups1.load', stoppedAt, Date.now() - 200).length).toBeGreaterThanOrEqual(2);
    const versions = (await call('GET', '/api/v1/config/versions', 'admin')).body.versions;
    expect(versions[0]).toMatchObject({ n: 3, source: 'sighup' });
    // a broken file changes nothing
    writeFileSync(file, `${text}  - id: bad\n`);
    const refused = await gateway.reload();
    expect(refused.status).toBe('invalid');
    expect((await call('GET', '/api/v1/config', 'admin')).body.config.devices.map((d: Json) => d.id)).toEqual(['ups1', 'ups2', 'crac1']);
  }, 20_000);

  it('restores the previous version by itself when a change takes a device down', async () => {
    const temp = '      - { key: temp, table: holding, address: 1, type: uint16 }\n';
    const good = site(device('ups1', 1, peer.port!) + device('ups2', 2, peer.port!, temp) + device('crac1', 4, peer.port!));
    const dead = await freePort();
    const broken = site(device('ups1', 1, peer.port!) + device('ups2', 2, dead, temp) + device('crac1', 4, peer.port!));
    const applied = await call('POST', '/api/v1/config?guardS=30', 'admin', broken);
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body).toMatchObject({ applied: true, version: 4, summary: ['devices: ~ ups2 (connection)'] });
    expect((await call('GET', '/api/v1/config', 'admin')).body.guard).toMatchObject({ version: 4, restores: 3 });
    expect((await call('GET', '/api/v1/health', 'viewer')).body.config).toMatchObject({ version: 4, guard: { version: 4, restores: 3 } });
    const event = await until(async () => {
      const items = (await call('GET', '/api/v1/events?limit=1000', 'viewer')).body.items as Json[];
      return items.find((e) => e.type === 'config.rolled-back');
    }, 'the automatic rollback', 20_000);
    expect(event.data).toMatchObject({ version: 5, to: 3, who: 'guard', source: 'rollback', changes: ['devices: ~ ups2 (connection)'] });
    expect(event.data.reason).toBe('device ups2 went down within the guard time after version 4');
    const now = await call('GET', '/api/v1/config', 'admin');
    expect(now.body.config.devices.find((d: Json) => d.id === 'ups2').connection.port).toBe(peer.port);
    expect(now.body.guard).toBeNull();
    expect(readFileSync(file, 'utf8')).toBe(good);
    await until(async () => ((await call('GET', '/api/v1/devices/ups2', 'viewer')).body.status === 'up' ? true : undefined), 'ups2 back up', 15_000);
  }, 40_000);

  it('keeps a breaking change applied with guardS=0, and rolls back on request', async () => {
    const temp = '      - { key: temp, table: holding, address: 1, type: uint16 }\n';
    const dead = await freePort();
    const broken = site(device('ups1', 1, peer.port!) + device('ups2', 2, dead, temp) + device('crac1', 4, peer.port!));
    expect((await call('POST', '/api/v1/config?guardS=-1', 'admin', broken)).status).toBe(400);
    const applied = await call('POST', '/api/v1/config?guardS=0', 'admin', broken);
    expect(applied.body).toMatchObject({ applied: true, version: 6 });
    expect((await call('GET', '/api/v1/config', 'admin')).body.guard).toBeNull();
    await until(async () => ((await call('GET', '/api/v1/devices/ups2', 'viewer')).body.status === 'down' ? true : undefined), 'ups2 down', 15_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await call('GET', '/api/v1/config/versions', 'admin')).body.versions[0].n).toBe(6);

    for (const role of ['viewer', 'operator'] as const) expect((await call('POST', '/api/v1/config/rollback', role, '{"version": 3}')).status).toBe(403);
    expect((await call('POST', '/api/v1/config/rollback', 'admin', '{"version": 99}')).status).toBe(404);
    const back = await call('POST', '/api/v1/config/rollback', 'admin', '{"version": 3}');
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body).toMatchObject({ applied: true, version: 7, summary: ['devices: ~ ups2 (connection)'] });
    const versions = (await call('GET', '/api/v1/config/versions', 'admin')).body.versions;
    expect(versions[0]).toMatchObject({ n: 7, source: 'rollback', who: 'live-admin' });
    expect(versions[0].hash).toBe(versions.find((v: Json) => v.n === 3).hash);
    await until(async () => ((await call('GET', '/api/v1/devices/ups2', 'viewer')).body.status === 'up' ? true : undefined), 'ups2 back up', 15_000);
  }, 40_000);
});
