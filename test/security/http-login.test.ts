/**
 * What the web page guarantees to a client on the LAN before and while logging in, one describe
 * per guarantee (issue 10, items 3, 4, 5, 9, 10 and 11). Most run against a real HTTP listener on
 * 127.0.0.1, since what is proven here (bodies that are never read, simultaneous requests, client
 * addresses, Host headers) lives on the socket. A second client address is 127.0.0.2: Linux routes
 * all of 127/8 to loopback, so a client can bind it and the server sees another address.
 */
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import { safeNext } from '../../dashboard/auth/login-routes.js';
import type { DashboardDeps } from '../../dashboard/deps.js';
import { createHostAllowlist } from '../../dashboard/host-allowlist.js';
import { type HttpServer, startHttpServer } from '../../dashboard/http-server.js';
import { createAuthService, DEFAULT_THROTTLE, openAuthDb } from '../../gateway/auth/index.js';
import { createLogger, silentLogger } from '../../core/logger.js';
import { createWebRig, type WebRig } from '../helpers/web-app.js';
import { TEST_PASSWORD, type TestAuthOptions } from '../helpers/web-auth.js';
import { createTempStores } from '../helpers/temp-store.js';

const MB = 1024 * 1024;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** the client's own address (127.0.0.2 to look like another machine) */
  localAddress?: string;
}

/** One request on its own connection, with any Host header and request target. */
function send(port: number, path: string, options: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
        localAddress: options.localAddress,
        agent: false,
        setHost: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const jsonLogin = (port: number, user: string, password: string, localAddress?: string) =>
  send(port, '/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }), localAddress });

/**
 * Streams up to `total` bytes at the server as fast as it takes them, and keeps going after the
 * answer. Returns the answer and how many bytes the client got to write before the server closed
 * the connection: a server that reads the whole body lets all of it through.
 */
function pushHugeBody(port: number, path: string, total: number, declareLength: boolean): Promise<{ status?: number; connection?: string; written: number }> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { host: `127.0.0.1:${port}`, 'content-type': 'application/x-www-form-urlencoded' };
    if (declareLength) headers['content-length'] = String(total);
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false, setHost: false });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let written = 0;
    let status: number | undefined;
    let connection: string | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      req.destroy();
      resolve({ status, connection, written });
    };
    req.on('response', (res) => {
      status = res.statusCode;
      connection = res.headers.connection;
      res.resume();
    });
    req.on('error', finish);
    req.on('close', finish);
    const pump = () => {
      while (!done && written < total) {
        written += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!done) req.end();
    };
    pump();
  });
}

/** A web rig served on 127.0.0.1 at a free port. */
async function served(extraDeps: Partial<DashboardDeps> = {}, authOptions: TestAuthOptions = {}) {
  const rig = createWebRig({ extraDeps, authOptions });
  const server = await startHttpServer(rig.app, '127.0.0.1', 0);
  return { rig, server, port: server.port };
}

describe('3. every request body is capped (64 KiB by default), refused with 413 before the rest is read', () => {
  let rig: WebRig;
  let server: HttpServer;
  let port: number;
  beforeEach(async () => {
    const echo = new Hono().post('/ack', async (c) => c.json({ bytes: (await c.req.text()).length }));
    ({ rig, server, port } = await served({ mounts: [{ path: '/api/v1/sync', app: echo }] }));
    await rig.auth.addUser('ada', 'admin');
  });
  afterEach(async () => {
    await server.close();
    rig.close();
  });

  it.each(['/login', '/api/v1/session'])('100 MB declared to POST %s: 413 at once, connection closed, the body never read', async (path) => {
    const result = await pushHugeBody(port, path, 100 * MB, true);
    expect(result.status).toBe(413);
    expect(result.connection).toBe('close');
    expect(result.written).toBeLessThan(16 * MB);
  });

  it.each(['/login', '/api/v1/session'])('100 MB chunked (no Content-Length) to POST %s: cut off at the limit with 413', async (path) => {
    const result = await pushHugeBody(port, path, 100 * MB, false);
    expect(result.status).toBe(413);
    expect(result.written).toBeLessThan(16 * MB);
  });

  it('a logged-in API call and a mounted sub-app (sync pull ack) are capped too; a body under the limit passes', async () => {
    const big = JSON.stringify({ comment: 'x'.repeat(65 * 1024) });
    const ack = await rig.app.request('/api/v1/alarms/ups1.on-battery/ack', { method: 'POST', headers: { ...rig.auth.bearer('admin'), 'content-type': 'application/json' }, body: big });
    expect(ack.status).toBe(413);
    expect(await ack.json()).toEqual({ error: { code: 'payload-too-large', message: 'the request body is larger than 65536 bytes' } });
    expect((await rig.app.request('/api/v1/sync/ack', { method: 'POST', body: 'y'.repeat(65 * 1024) })).status).toBe(413);
    const small = await rig.app.request('/api/v1/sync/ack', { method: 'POST', headers: rig.auth.bearer('ems'), body: 'y'.repeat(60 * 1024) });
    expect(await small.json()).toEqual({ bytes: 60 * 1024 });
    expect((await jsonLogin(port, 'ada', TEST_PASSWORD)).status).toBe(200);
  });

  it('the limit is the config key http.maxBodyKB (default 64)', () => {
    const base = 'gateway: { id: gw1 }\ndevices: []\n';
    expect(parseSiteConfig(base, 'site.yaml').config!.http.maxBodyKB).toBe(64);
    expect(parseSiteConfig(`${base}http: { maxBodyKB: 256 }\n`, 'site.yaml').config!.http.maxBodyKB).toBe(256);
  });
});

describe('4. simultaneous logins cannot get past the throttle: attempts are counted before the password hash runs', () => {
  let rig: WebRig;
  let server: HttpServer;
  let port: number;
  beforeEach(async () => {
    ({ rig, server, port } = await served());
    await rig.auth.addUser('ada', 'admin');
  });
  afterEach(async () => {
    await server.close();
    rig.close();
  });

  it('60 simultaneous wrong logins from one address: at most the 20 the address may fail get 401, the rest 429', async () => {
    await server.close();
    rig.close();
    // the real scrypt cost (tens of ms per check), so the 60 really overlap as they do on a site
    ({ rig, server, port } = await served({}, { hashCost: { N: 32768, r: 8, p: 1 } }));
    await rig.auth.addUser('ada', 'admin');
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => jsonLogin(port, i % 2 ? 'ada' : `guess${i}`, `wrong password ${i}`)));
    const counts = { 401: 0, 429: 0 } as Record<number, number>;
    for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
    expect(counts[401]! + counts[429]!).toBe(60);
    expect(counts[401]).toBeLessThanOrEqual(20);
    expect(counts[401]).toBeGreaterThan(0);
  });

  it('30 simultaneous guesses at one user, the right password at index 25: it does not log in', async () => {
    // In-process requests reach login() in the order sent, so index 25 really is the 26th guess.
    const guesses = Array.from({ length: 30 }, (_, i) => (i === 25 ? TEST_PASSWORD : `wrong passwd ${String(i).padStart(2, '0')}`));
    expect(new Set(guesses.map((g) => g.length)).size).toBe(1);
    const answers = await Promise.all(
      guesses.map((password) =>
        rig.app.request('http://gw.local/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'ada', password }) }),
      ),
    );
    expect(answers[25]!.status).toBe(429);
    expect(answers.map((a) => a.status)).not.toContain(200);
    expect(answers.some((a) => a.headers.getSetCookie().some((c) => c.startsWith('gw_session=')))).toBe(false);
  });

  it('logins in flight are limited per address and per user (a burst is refused, not queued behind the hash)', async () => {
    const auth = rig.auth.auth;
    const first = [auth.login('ada', 'wrong one 1', '10.9.9.9'), auth.login('ada', 'wrong one 2', '10.9.9.9')];
    // two for ada are hashing now: a third, even from another address, is refused at once
    expect(await auth.login('ada', TEST_PASSWORD, '10.9.9.8')).toEqual({ ok: false, reason: 'throttled', retryAfterMs: 1_000 });
    const spray = ['a1', 'a2', 'a3', 'a4', 'a5'].map((u) => auth.login(u, 'wrong one 3', '10.7.7.7'));
    const results = await Promise.all([...first, ...spray]);
    expect(results.slice(2).map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['invalid', 'invalid', 'invalid', 'invalid', 'throttled']);
    expect((await auth.login('ada', TEST_PASSWORD, '10.9.9.8')).ok).toBe(true);
  });
});

describe('5. redirects only ever go to a path on this gateway', () => {
  let rig: WebRig;
  let server: HttpServer;
  let port: number;
  beforeEach(async () => {
    ({ rig, server, port } = await served());
    await rig.auth.addUser('ada', 'admin');
  });
  afterEach(async () => {
    await server.close();
    rig.close();
  });

  it('GET //127.0.0.1:PORT/x?lang=en sets the language and goes home, never to //host/', async () => {
    const res = await send(port, `//127.0.0.1:${port}/x?lang=en`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    const normal = await send(port, '/alarms?lang=ko&state=all');
    expect(normal.headers.location).toBe('/alarms?state=all');
  });

  it.each([
    '//evil.example/x',
    '/\\evil.example',
    '/%5Cevil.example',
    '/\t/evil.example/x',
    '/%09/evil.example/x',
    '/%2F/evil.example/x',
    '/%2f%2fevil.example',
    '/%0D%0A/x',
    '/%E0%A4%A',
    'https://evil.example',
    'javascript:alert(1)',
    '/logout',
  ])('safeNext(%j) is /', (next) => {
    expect(safeNext(next)).toBe('/');
  });

  it.each(['/devices/ups1', '/trends?points=ups1.output_load%2Ccrac1.supply_temp&range=1h', '/alarms?state=all'])('safeNext keeps the local path %j', (next) => {
    expect(safeNext(next)).toBe(next);
  });

  it.each(['/%0D%0A/x', '/%09/127.0.0.1/x'])('/login?next=%s is a 400, logged in or not, and never a 500', async (next) => {
    expect((await send(port, `/login?next=${next}`)).status).toBe(400);
    const b = rig.browser();
    expect((await b.login('ada')).status).toBe(303);
    expect((await b.request(`/login?next=${next}`)).status).toBe(400);
    const form = await send(port, '/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `user=ada&next=${next}` });
    expect(form.status).toBe(400);
  });

  it('after login, next=/%2F/evil.example goes home', async () => {
    const b = rig.browser();
    const page = await (await b.request('/login')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    const res = await b.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `user=ada&password=${encodeURIComponent(TEST_PASSWORD)}&_csrf=${csrf}&next=%2F%252F%2Fevil.example`,
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
  });
});

describe('9. a known user name and an unknown one get the same answers', () => {
  let rig: WebRig;
  beforeEach(async () => {
    // the clock stands still: a slow machine cannot let a delay run out between two tries
    const frozen = Date.UTC(2026, 0, 1);
    rig = createWebRig({ authOptions: { now: () => frozen } });
    await rig.auth.addUser('ada', 'admin');
  });
  afterEach(() => rig.close());

  it('7 wrong passwords in a row: the same status, body and Retry-After for "ada" and "nobody", try by try (JSON API)', async () => {
    const tryOnce = async (user: string) => {
      const res = await rig.app.request('http://gw.local/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password: 'wrong password' }) });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
    };
    const known = [];
    const unknown = [];
    for (let i = 0; i < 7; i++) {
      known.push(await tryOnce('ada'));
      unknown.push(await tryOnce('nobody'));
    }
    expect(unknown).toEqual(known);
    expect(known.map((k) => k.status)).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it('the same through the login form: the 5th and 6th wrong password read the same for both names', async () => {
    const b = rig.browser();
    const page = async (user: string) => {
      const res = await b.login(user, 'wrong password');
      const notice = /<p class="notice[^"]*"[^>]*>([^<]*)</.exec(await res.text())?.[1];
      return { status: res.status, notice };
    };
    for (let i = 0; i < 4; i++) expect(await page('ada')).toEqual(await page('nobody'));
    expect(await page('ada')).toEqual(await page('nobody'));
    const sixth = await page('ada');
    expect(sixth).toEqual(await page('nobody'));
    expect(sixth.status).toBe(429);
  });

  it('a refused try costs the same for a known and an unknown name: neither runs the password hash', async () => {
    const temp = createTempStores('gw-enum-');
    const db = openAuthDb(temp.file('auth.db'));
    // the real scrypt cost (32 MiB, tens of ms), so skipping or running a hash shows in the time;
    // the clock stands still, so the delays cannot run out between tries on a slow machine
    const auth = createAuthService({ db, logger: silentLogger, now: () => Date.UTC(2026, 0, 1) });
    try {
      await auth.users.add('kim', TEST_PASSWORD, 'operator');
      const time = async (user: string, client: string) => {
        const t0 = performance.now();
        const r = await auth.login(user, 'wrong password', client);
        return { ms: performance.now() - t0, reason: r.ok ? 'ok' : r.reason };
      };
      const hashed = await time('kim', '10.0.0.1');
      expect(hashed.reason).toBe('invalid');
      for (let i = 0; i < 5; i++) {
        await time('kim', '10.0.0.2');
        await time('nobody', '10.0.0.3');
      }
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 5; i++) {
        const k = await time('kim', '10.0.0.2');
        const u = await time('nobody', '10.0.0.3');
        expect([k.reason, u.reason]).toEqual(['throttled', 'throttled']);
        known.push(k.ms);
        unknown.push(u.ms);
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
      expect(Math.abs(median(known) - median(unknown))).toBeLessThan(hashed.ms / 2);
    } finally {
      db.close();
      temp.cleanup();
    }
  });
});

describe('10. repeated failures delay one (user, address); nobody can keep the admin out, and admins see it', () => {
  let rig: WebRig;
  let server: HttpServer;
  let port: number;
  const lines: string[] = [];
  beforeEach(async () => {
    lines.length = 0;
    const logger = createLogger({ write: (l) => lines.push(l), repeat: false });
    // the clock stands still (delays never run out between tries on a slow machine)
    const frozen = Date.UTC(2026, 0, 1);
    ({ rig, server, port } = await served({}, { logger, now: () => frozen }));
    await rig.auth.addUser('ada', 'admin');
  });
  afterEach(async () => {
    await server.close();
    rig.close();
  });

  it('30 wrong passwords for the admin from 127.0.0.2: that address waits, the admin logs in from 127.0.0.1 at once', async () => {
    await server.close();
    rig.close();
    // a first delay of a minute, so a slow machine cannot let a try slip through between them
    ({ rig, server, port } = await served({}, { throttle: { ...DEFAULT_THROTTLE, baseDelayMs: 60_000 } }));
    await rig.auth.addUser('ada', 'admin');
    const statuses = [];
    for (let i = 0; i < 30; i++) statuses.push((await jsonLogin(port, 'ada', `wrong password ${i}`, '127.0.0.2')).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual(Array(25).fill(429));
    expect((await jsonLogin(port, 'ada', TEST_PASSWORD, '127.0.0.2')).status).toBe(429);
    expect((await jsonLogin(port, 'ada', TEST_PASSWORD, '127.0.0.1')).status).toBe(200);
  });

  it('the delay doubles: after it has passed one more wrong try is allowed, then the wait is longer', async () => {
    await server.close();
    rig.close();
    const clock = { now: Date.UTC(2026, 0, 1) };
    ({ rig, server, port } = await served({}, { now: () => clock.now }));
    await rig.auth.addUser('ada', 'admin');
    for (let i = 0; i < 5; i++) await jsonLogin(port, 'ada', 'wrong password', '127.0.0.2');
    const first = await jsonLogin(port, 'ada', 'wrong password', '127.0.0.2');
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('1');
    clock.now += 1_000;
    expect((await jsonLogin(port, 'ada', 'wrong password', '127.0.0.2')).status).toBe(401);
    const second = await jsonLogin(port, 'ada', 'wrong password', '127.0.0.2');
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toBe('2');
    clock.now += 2_000;
    expect((await jsonLogin(port, 'ada', 'wrong password', '127.0.0.2')).status).toBe(401);
    expect((await jsonLogin(port, 'ada', 'wrong password', '127.0.0.2')).headers['retry-after']).toBe('4');
  });

  it('the delay is logged (without the password) and shown to admins on the users page, in English and Korean; an admin can clear it', async () => {
    for (let i = 0; i < 6; i++) await jsonLogin(port, 'ada', 'hunter2 wrong', '127.0.0.2');
    const warn = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'warn');
    expect(warn).toContainEqual(expect.objectContaining({ msg: 'login delayed after repeated failures for this user from one address', client: '127.0.0.2', user: 'ada', failures: 5 }));
    expect(lines.join('\n')).not.toContain('hunter2');

    const admin = rig.browser();
    await admin.login('ada');
    const en = await (await admin.request('/users')).text();
    expect(en).toContain('Login delays');
    expect(en).toMatch(/<tr><td>ada<\/td><td><code>127\.0\.0\.2<\/code><\/td><td>5<\/td><td>1<\/td>/);
    await admin.request('/users?lang=ko');
    const ko = await (await admin.request('/users')).text();
    expect(ko).toContain('로그인 지연');
    expect(ko).toContain('시도한 사용자 이름');

    const csrf = await admin.csrf();
    const cleared = await admin.request('/users/ada/unlock', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${csrf}` });
    expect(cleared.status).toBe(303);
    expect(await (await admin.request('/users')).text()).toContain('지연 중인 로그인이 없습니다.');
    expect((await jsonLogin(port, 'ada', TEST_PASSWORD, '127.0.0.2')).status).toBe(200);
  });

  it('the users page with its delays is for admins only', async () => {
    await rig.auth.addUser('olga', 'operator');
    expect((await rig.app.request('/users', { headers: rig.auth.bearer('operator') })).status).toBe(403);
  });
});

describe('11. only known host names are answered (DNS rebinding)', () => {
  let rig: WebRig;
  let server: HttpServer;
  let port: number;
  beforeEach(async () => {
    const allowedHost = createHostAllowlist({ listenHost: '127.0.0.1', allowedHosts: ['gw.plant.example'], machineName: 'gw-pi' });
    ({ rig, server, port } = await served({ allowedHost }));
  });
  afterEach(async () => {
    await server.close();
    rig.close();
  });

  it.each(['127.0.0.1:PORT', 'localhost:PORT', 'LOCALHOST', '[::1]:PORT', 'gw.plant.example', 'GW.Plant.Example.:PORT', 'gw-pi', 'gw-pi.local:PORT'])('Host: %s is answered', async (host) => {
    const res = await send(port, '/login', { headers: { host: host.replace('PORT', String(port)) } });
    expect(res.status).toBe(200);
  });

  it.each(['evil.example', 'evil.example:PORT', '127.0.0.1.evil.example', 'gw.plant.example.evil', '10.0.0.99'])('Host: %s gets 421 on every route, public or not', async (host) => {
    for (const path of ['/login', '/api/v1/health', '/api/v1/points', '/static/app.css']) {
      const res = await send(port, path, { headers: { host: host.replace('PORT', String(port)) } });
      expect(res.status, path).toBe(421);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'misdirected' } });
    }
  });

  it('an absolute request target naming another host gets 421 too', async () => {
    expect((await send(port, 'http://evil.example/login')).status).toBe(421);
  });

  it('a wildcard listener answers to the machine\'s interface addresses; `*` turns the check off', () => {
    const any = createHostAllowlist({ listenHost: '0.0.0.0', interfaces: () => ['10.1.2.3', 'fe80::1'] });
    expect(['10.1.2.3:8080', '[fe80::1]:8080', 'localhost:8080'].map(any)).toEqual([true, true, true]);
    expect(any('10.1.2.4')).toBe(false);
    expect(createHostAllowlist({ listenHost: '0.0.0.0', allowedHosts: ['*'] })('anything.example')).toBe(true);
  });

  it('http.allowedHosts is a config key (default none) and is in the README config table', () => {
    const base = 'gateway: { id: gw1 }\ndevices: []\n';
    expect(parseSiteConfig(base, 'site.yaml').config!.http.allowedHosts).toEqual([]);
    expect(parseSiteConfig(`${base}http: { allowedHosts: [gw.plant.example] }\n`, 'site.yaml').config!.http.allowedHosts).toEqual(['gw.plant.example']);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(/\| *`allowedHosts` *\|/.test(readme), "README row for allowedHosts").toBe(true);
    expect(/\| *`maxBodyKB` *\| *`64` *\|/.test(readme), "README row for maxBodyKB").toBe(true);
  });
});
