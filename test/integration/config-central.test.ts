/**
 * The central config source through the whole gateway (startGateway) on a real Modbus server
 * (pymodbus) and a real central HTTP server (node:http on loopback) that serves the site file with
 * ETags and takes the outcomes POSTed to `<url>/status`:
 * the first poll applies the central text (a device added, `config.applied` with source central,
 * the site file rewritten); later polls send If-None-Match and get 304, and nothing is applied again;
 * a new version applies; an invalid one and one needing a restart are refused and reported
 * (`config.central` events, the status in GET /api/v1/config and health, the POSTs) with the old
 * config running; a version that breaks a device's address is rolled back by the guard by itself,
 * the reason in the events and the status, and is not applied again; a configSource changed
 * centrally moves the polling to its new URL; the token is never shown. Last, a restart keeps the
 * ETag: the rolled-back text stays out.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../app/start-gateway.js';
import { loadSiteConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import { openAuthDb } from '../../gateway/auth/index.js';
import { createTokenStore } from '../../gateway/auth/tokens.js';
import { freePort } from '../helpers/free-port.js';
import { peersAvailable } from '../helpers/peers.js';
import { type PymodbusPeer, startPymodbus } from '../helpers/pymodbus.js';

const RUN = peersAvailable('pymodbus');
const TOKEN = 'central-s3cret-token-9f2c';
const POLL_MS = 250;

// biome-ignore lint/suspicious/noExplicitAny: JSON replies of several shapes
type Json = any;

interface Seen {
  method: string;
  path: string;
  auth: string | undefined;
  ifNoneMatch: string | undefined;
  status: number;
}

/** The central server: one text per path, an ETag per text, 304 on a match, 401 without the token. */
class CentralServer {
  readonly texts = new Map<string, string>();
  readonly seen: Seen[] = [];
  readonly statusPosts: Json[] = [];
  server!: Server;
  port = 0;

  static etagOf(text: string): string {
    return `"${createHash('sha256').update(text).digest('hex').slice(0, 20)}"`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, headers, body }) => {
        res.writeHead(status, headers);
        res.end(body);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; headers: Record<string, string>; body?: string }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = req.url ?? '';
    const record = (status: number) =>
      this.seen.push({ method: req.method ?? '', path, auth: req.headers.authorization, ifNoneMatch: req.headers['if-none-match'], status });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      record(401);
      return { status: 401, headers: {} };
    }
    if (req.method === 'POST' && path.endsWith('/status')) {
      this.statusPosts.push({ path, ...JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      record(204);
      return { status: 204, headers: {} };
    }
    const text = this.texts.get(path);
    if (req.method !== 'GET' || text === undefined) {
      record(404);
      return { status: 404, headers: {} };
    }
    const etag = CentralServer.etagOf(text);
    if (req.headers['if-none-match'] === etag) {
      record(304);
      return { status: 304, headers: { etag } };
    }
    record(200);
    return { status: 200, headers: { etag, 'content-type': 'application/yaml' }, body: text };
  }

  gets(path = '/config'): Seen[] {
    return this.seen.filter((s) => s.method === 'GET' && s.path === path);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

function device(id: string, unitId: number, port: number, extra = ''): string {
  return `  - id: ${id}
    driver: modbus
    connection: { host: 127.0.0.1, port: ${port}, unitId: ${unitId}, timeoutMs: 500 }
    pollIntervalMs: ${POLL_MS}
    points:
      - { key: load, table: holding, address: 0, type: uint16 }
${extra}`;
}

describe.skipIf(!RUN)('central config source', () => {
  let dir: string;
  let file: string;
  let peer: PymodbusPeer;
  let central: CentralServer;
  let gateway: RunningGateway | undefined;
  let admin: string;
  let viewer: string;
  let source: string;

  const site = (devices: string, opts: { path?: string; httpPort?: number } = {}) => `gateway: { id: central-gw, dataDir: ./data }
http: { host: 127.0.0.1, port: ${opts.httpPort ?? 0} }
storage: { commitIntervalMs: 50 }
configSource:
  url: http://127.0.0.1:${central.port}${opts.path ?? '/config'}
  token: ${TOKEN}
  intervalS: 1
  guardS: 20
devices:
${devices}`;

  const call = async (path: string, token = admin): Promise<{ status: number; body: Json; text: string }> => {
    const res = await fetch(`http://127.0.0.1:${gateway!.port}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text), text };
  };
  const events = async (type: string): Promise<Json[]> => ((await call('/api/v1/events?limit=1000', viewer)).body.items as Json[]).filter((e) => e.type === type);
  const versions = async (): Promise<Json[]> => (await call('/api/v1/config/versions')).body.versions;

  async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await check().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  /** the n-th `config.central` event (1-based), once there */
  const centralEvent = (n: number) => until(async () => (await events('config.central'))[n - 1], `config.central event ${n}`);

  beforeAll(async () => {
    const unit = (value: number) => ({ holding: [{ address: 0, type: 'uint16' as const, value }] });
    peer = await startPymodbus({ transport: 'tcp' }, { 1: unit(10), 2: unit(20), 3: unit(30) });
    central = new CentralServer();
    await central.start();
    dir = mkdtempSync(join(tmpdir(), 'gw-central-'));
    file = join(dir, 'site.yaml');
    source = device('ups1', 1, peer.port!) + device('ups2', 2, peer.port!);
    writeFileSync(file, site(source));
    const config = loadSiteConfig(file);
    mkdirSync(config.gateway.dataDir, { recursive: true });
    const authDb = openAuthDb(join(config.gateway.dataDir, 'auth.db'));
    const tokens = createTokenStore(authDb);
    admin = tokens.create('central-admin', 'admin').token;
    viewer = tokens.create('central-viewer', 'viewer').token;
    authDb.close();
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await central?.stop();
    await peer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('applies the central text at the first poll, then gets 304 and applies nothing again', async () => {
    const v1 = site(source + device('pdu1', 3, peer.port!));
    central.texts.set('/config', v1);
    gateway = await startGateway(loadSiteConfig(file), { logger: silentLogger, version: 'test', firstAdmin: false });
    const first = await centralEvent(1);
    expect(first.data).toMatchObject({ result: 'applied', version: 2, etag: CentralServer.etagOf(v1), changes: ['devices: + pdu1'] });
    expect(first.data.hash).toMatch(/^[0-9a-f]{64}$/);
    const applied = (await events('config.applied')).at(-1);
    expect(applied.data).toMatchObject({ version: 2, source: 'central', who: 'central' });
    expect(readFileSync(file, 'utf8')).toBe(v1);
    await until(async () => ((await call('/api/v1/points/pdu1.load', viewer)).body.value === 30 ? true : undefined), 'the added device polled');
    // the first request had no ETag to send, and carried the token
    expect(central.gets()[0]).toMatchObject({ auth: `Bearer ${TOKEN}`, ifNoneMatch: undefined, status: 200 });

    // the next polls ask If-None-Match and get 304
    const seenBefore = central.gets().length;
    await until(async () => (central.gets().length >= seenBefore + 3 ? true : undefined), 'three more polls');
    const later = central.gets().slice(1);
    expect(later.every((s) => s.ifNoneMatch === CentralServer.etagOf(v1) && s.status === 304)).toBe(true);
    expect((await versions()).map((v) => v.n)).toEqual([2, 1]);
    expect(await events('config.central')).toHaveLength(1);

    const status = (await call('/api/v1/config')).body.central;
    expect(status).toMatchObject({
      url: `http://127.0.0.1:${central.port}`,
      intervalS: 1,
      etag: CentralServer.etagOf(v1),
      outcome: { result: 'applied', version: 2 },
      error: null,
    });
    expect(status.lastPollAt).toBeGreaterThan(first.data.at);
    expect((await call('/api/v1/health', viewer)).body.config.central).toMatchObject({ outcome: { result: 'applied', version: 2 } });
    // the outcome went back to the source too
    await until(async () => (central.statusPosts.length >= 1 ? true : undefined), 'the status POST');
    expect(central.statusPosts[0]).toMatchObject({ path: '/config/status', gatewayId: 'central-gw', result: 'applied', version: 2 });
  }, 40_000);

  it('applies a new central version', async () => {
    source = device('ups1', 1, peer.port!) + device('ups2', 2, peer.port!) + device('pdu1', 3, peer.port!, '      - { key: spare, table: holding, address: 1, type: uint16 }\n');
    central.texts.set('/config', site(source));
    const ev = await centralEvent(2);
    expect(ev.data).toMatchObject({ result: 'applied', version: 3, changes: ['devices: ~ pdu1 (points)'] });
    expect(readFileSync(file, 'utf8')).toBe(site(source));
  }, 20_000);

  it('refuses an invalid version and one that needs a restart, reports them, and keeps the old config', async () => {
    const good = site(source);
    const invalid = site(`${source}  - id: bad\n    driver: modbus\n    connection: { host: 127.0.0.1, port: ${peer.port}, unitId: 4 }\n    pollIntervalMs: 50\n    points:\n      - { key: t, table: holding, address: 0, type: uint16 }\n`);
    central.texts.set('/config', invalid);
    const ev = await centralEvent(3);
    expect(ev.data.result).toBe('invalid');
    expect(ev.data.problems).toHaveLength(1);
    expect(ev.data.problems[0]).toMatch(/^site\.yaml:\d+ devices\[3\]\.pollIntervalMs: 50 is below 100$/);
    expect((await call('/api/v1/config')).body.central.outcome).toMatchObject({ result: 'invalid', problems: ev.data.problems });
    await until(async () => (central.statusPosts.some((p) => p.result === 'invalid') ? true : undefined), 'the invalid status POST');

    const restart = good.replace('port: 0 }', `port: ${await freePort()} }`);
    central.texts.set('/config', restart);
    const refused = await centralEvent(4);
    expect(refused.data).toMatchObject({ result: 'refused', refusals: ['http.port: needs a restart'] });

    // the old config still runs, no version was made, the site file is untouched
    expect((await versions()).map((v) => v.n)).toEqual([3, 2, 1]);
    expect((await call('/api/v1/config')).body.config.devices.map((d: Json) => d.id)).toEqual(['ups1', 'ups2', 'pdu1']);
    expect(readFileSync(file, 'utf8')).toBe(good);
    // a refused text is not tried again at every poll (304 now)
    const seen = central.gets().length;
    await until(async () => (central.gets().length >= seen + 2 ? true : undefined), 'two more polls');
    expect(await events('config.central')).toHaveLength(4);
    central.texts.set('/config', good);
    // back to the running text: handled as unchanged, nothing applied
    expect((await centralEvent(5)).data.result).toBe('unchanged');
    expect((await versions()).map((v) => v.n)).toEqual([3, 2, 1]);
  }, 40_000);

  it('rolls back by itself a central version that breaks a device, says why, and does not apply it again', async () => {
    const good = site(source);
    const dead = await freePort();
    const broken = site(device('ups1', 1, peer.port!) + device('ups2', 2, dead) + device('pdu1', 3, peer.port!, '      - { key: spare, table: holding, address: 1, type: uint16 }\n'));
    await until(async () => ((await call('/api/v1/devices/ups2', viewer)).body.status === 'up' ? true : undefined), 'ups2 up');
    central.texts.set('/config', broken);
    const applied = await centralEvent(6);
    expect(applied.data).toMatchObject({ result: 'applied', version: 4, changes: ['devices: ~ ups2 (connection)'] });
    const rolled = await centralEvent(7);
    expect(rolled.data).toMatchObject({ result: 'rolled-back', version: 4, restored: 5, hash: applied.data.hash });
    expect(rolled.data.reason).toBe('device ups2 went down within the guard time after version 4');
    const rb = (await events('config.rolled-back')).at(-1);
    expect(rb.data).toMatchObject({ version: 5, to: 3, who: 'guard', reason: rolled.data.reason });
    expect(readFileSync(file, 'utf8')).toBe(good);
    expect((await call('/api/v1/config')).body.central.outcome).toMatchObject({ result: 'rolled-back', reason: rolled.data.reason });
    await until(async () => (central.statusPosts.some((p) => p.result === 'rolled-back' && p.reason === rolled.data.reason) ? true : undefined), 'the rolled-back status POST');
    await until(async () => ((await call('/api/v1/devices/ups2', viewer)).body.status === 'up' ? true : undefined), 'ups2 back up');
    // the source still serves the broken text: 304s, and it stays out
    const seen = central.gets().length;
    await until(async () => (central.gets().length >= seen + 2 ? true : undefined), 'two more polls');
    expect(central.gets().slice(seen).every((s) => s.status === 304)).toBe(true);
    expect((await versions())[0].n).toBe(5);
  }, 60_000);

  it('moves to a new URL when the central text changes configSource, and never shows the token', async () => {
    const moved = site(source, { path: '/v2/config' });
    central.texts.set('/v2/config', moved);
    central.texts.set('/config', moved);
    const ev = await centralEvent(8);
    expect(ev.data).toMatchObject({ result: 'applied', version: 6, changes: ['settings: configSource.url'] });
    await until(async () => (central.gets('/v2/config').length >= 2 ? true : undefined), 'polls of the new URL');
    const fromNew = central.gets('/v2/config');
    // the new URL starts without an ETag (it belongs to the other URL), then gets 304s
    expect(fromNew[0]).toMatchObject({ ifNoneMatch: undefined, status: 200 });
    expect(fromNew[1]).toMatchObject({ ifNoneMatch: CentralServer.etagOf(moved), status: 304 });
    expect(await events('config.central')).toHaveLength(8);
    const current = await call('/api/v1/config');
    const health = await call('/api/v1/health', viewer);
    const all = await call('/api/v1/events?limit=1000', viewer);
    for (const text of [current.text, health.text, all.text, JSON.stringify(central.statusPosts)]) expect(text).not.toContain(TOKEN);
    expect(current.body.config.configSource.token).toBe('[secret]');
  }, 30_000);

  it('keeps the ETag over a restart: the text it had is not fetched nor applied again', async () => {
    await gateway!.stop();
    gateway = undefined;
    const seen = central.gets('/v2/config').length;
    gateway = await startGateway(loadSiteConfig(file), { logger: silentLogger, version: 'test', firstAdmin: false });
    await until(async () => (central.gets('/v2/config').length >= seen + 1 ? true : undefined), 'the first poll after the restart');
    expect(central.gets('/v2/config')[seen]).toMatchObject({ ifNoneMatch: expect.stringMatching(/^"/), status: 304 });
    expect((await call('/api/v1/config')).body.central).toMatchObject({ outcome: { result: 'applied', version: 6 } });
  }, 30_000);
});
