/**
 * Every route of the web app against every kind of caller: nobody (401 or the login page), a
 * viewer (reads, 403 on ack), an operator (acks), an admin (users); sessions with and without
 * the CSRF token; cookie flags and security headers; the login form itself.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWebRig, type WebRig } from '../helpers/web-app.js';

const PAGES = ['/', '/alarms', '/devices', '/devices/ups1', '/trends?points=ups1.output_load', '/system'];
const API = [
  '/api/v1/devices',
  '/api/v1/devices/ups1',
  '/api/v1/points',
  '/api/v1/points/ups1.output_load',
  '/api/v1/points/ups1.output_load/history',
  '/api/v1/trends?points=ups1.output_load',
  '/api/v1/trends.csv?points=ups1.output_load',
  '/api/v1/system',
  '/api/v1/alarms',
  '/api/v1/alarms/ups1.on-battery',
  '/api/v1/events',
  '/api/v1/session',
  '/metrics',
];
const ADMIN_ONLY = ['/users'];
const PUBLIC = ['/login', '/api/v1/health'];

describe('web routes and roles', () => {
  let rig: WebRig;
  beforeEach(async () => {
    rig = createWebRig();
    rig.alarms.feed({ 'ups1.on_battery': true, 'crac1.supply_temp': 22 });
    await rig.auth.addUser('olga', 'operator');
    await rig.auth.addUser('vic', 'viewer');
    await rig.auth.addUser('ada', 'admin');
  });
  afterEach(() => rig.close());

  it.each(API)('GET %s without a login → 401 JSON', async (path) => {
    const res = await rig.app.request(path);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toMatchObject({ error: { code: 'unauthenticated' } });
  });

  it.each([...PAGES, ...ADMIN_ONLY])('GET %s without a login → the login page, coming back afterwards', async (path) => {
    const res = await rig.app.request(path, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/login?${new URLSearchParams({ next: path })}`);
  });

  it('the live stream and every state change need a login too', async () => {
    expect((await rig.app.request('/api/v1/live?alarms=1')).status).toBe(401);
    for (const path of ['/api/v1/alarms/ups1.on-battery/ack', '/api/v1/alarms/ups1.on-battery/shelve', '/users', '/logout']) {
      expect((await rig.app.request(path, { method: 'POST', body: '{}' })).status, path).toBe(401);
    }
  });

  it.each([...PUBLIC, '/static/app.css'])('GET %s is public', async (path) => {
    const res = await rig.app.request(path);
    expect(res.status).toBe(200);
  });

  it.each([...PAGES, ...API])('a viewer token reads %s', async (path) => {
    const res = await rig.app.request(path, { headers: rig.auth.bearer('viewer') });
    expect(res.status).toBe(200);
  });

  it('a viewer gets 403 on ack, shelve and user admin; the alarm stays unacknowledged', async () => {
    for (const [path, body] of [
      ['/api/v1/alarms/ups1.on-battery/ack', { comment: 'x' }],
      ['/api/v1/alarms/ups1.on-battery/shelve', { minutes: 10 }],
    ] as const) {
      const res = await rig.app.request(path, { method: 'POST', headers: { ...rig.auth.bearer('viewer'), 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'forbidden' } });
    }
    expect(rig.alarms.engine.get('ups1.on-battery')?.state).toBe('unack');
    for (const path of ADMIN_ONLY) expect((await rig.app.request(path, { headers: rig.auth.bearer('operator') })).status).toBe(403);
    expect((await rig.app.request('/api/v1/alarms', { headers: rig.auth.bearer('ems') })).status).toBe(200);
    expect((await rig.app.request('/api/v1/alarms/ups1.on-battery/ack', { method: 'POST', headers: rig.auth.bearer('ems') })).status).toBe(403);
  });

  it('an operator token acknowledges, recorded under the token name', async () => {
    const res = await rig.app.request('/api/v1/alarms/ups1.on-battery/ack', {
      method: 'POST',
      headers: { ...rig.auth.bearer('operator'), 'content-type': 'application/json', 'x-gateway-user': 'mallory' },
      body: JSON.stringify({ comment: 'generator test' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: 'acked', ackedBy: 'test-operator', ackComment: 'generator test' });
  });

  it('a wrong or malformed bearer token is a 401 even with a valid session cookie', async () => {
    const b = rig.browser();
    await b.login('vic');
    for (const authorization of ['Bearer gwt_nope', 'Basic dmljOnB3', 'Bearer']) {
      const res = await b.request('/api/v1/points', { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
    }
  });

  it('logging in sets an HttpOnly, SameSite=Strict session cookie and goes to the page asked for', async () => {
    const b = rig.browser();
    const page = await (await b.request('/login?next=%2Fdevices%2Fups1')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    const res = await b.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user: 'olga', password: 'correct horse 1', _csrf: csrf, next: '/devices/ups1' }).toString(),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/devices/ups1');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('gw_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);
    const me = await (await b.request('/api/v1/session')).json();
    expect(me).toMatchObject({ user: 'olga', role: 'operator', via: 'session' });
  });

  it('under TLS the session cookie is Secure and responses carry HSTS', async () => {
    const tls = createWebRig({ tls: true });
    try {
      await tls.auth.addUser('olga', 'operator');
      const res = await tls.browser().login('olga');
      expect(res.headers.getSetCookie().find((c) => c.startsWith('gw_session='))).toMatch(/Secure/);
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
    } finally {
      tls.close();
    }
  });

  it.each([
    ['no token', {}],
    ['a wrong token', { 'x-csrf-token': 'not-the-token' }],
  ])('a session POST with %s is refused (CSRF) and changes nothing', async (_label, headers) => {
    const b = rig.browser();
    await b.login('olga');
    const res = await b.request('/api/v1/alarms/ups1.on-battery/ack', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'csrf' } });
    expect(rig.alarms.engine.get('ups1.on-battery')?.state).toBe('unack');
  });

  it('a session POST from another origin is refused even with the right token', async () => {
    const b = rig.browser();
    await b.login('olga');
    const csrf = await b.csrf();
    const res = await b.request('/api/v1/alarms/ups1.on-battery/ack', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, origin: 'http://evil.example' },
      body: '{}',
    });
    expect(res.status).toBe(403);
  });

  it('with the session CSRF token an operator acks, as themselves; a viewer session gets 403', async () => {
    const op = rig.browser();
    await op.login('olga');
    const ok = await op.request('/api/v1/alarms/ups1.on-battery/ack', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': await op.csrf() },
      body: JSON.stringify({ comment: 'on it' }),
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ state: 'acked', ackedBy: 'olga', ackComment: 'on it' });

    const viewer = rig.browser();
    await viewer.login('vic');
    const no = await viewer.request('/api/v1/alarms/ups1.on-battery/shelve', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': await viewer.csrf() },
      body: JSON.stringify({ minutes: 5 }),
    });
    expect(no.status).toBe(403);
  });

  it('the login form refuses a post without its CSRF cookie, and a wrong password with a message', async () => {
    const b = rig.browser();
    const noCookie = await b.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'user=olga&password=correct+horse+1&_csrf=forged',
    });
    expect(noCookie.status).toBe(403);
    expect(b.cookies.has('gw_session')).toBe(false);
    const wrong = await b.login('olga', 'not the password');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Wrong user name or password.');
    expect(b.cookies.has('gw_session')).toBe(false);
  });

  it.each(['//evil.example/x', 'https://evil.example', '/\\evil.example', 'javascript:alert(1)'])('after login, next=%s goes home instead', async (next) => {
    const b = rig.browser();
    const page = await (await b.request('/login')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    const res = await b.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user: 'olga', password: 'correct horse 1', _csrf: csrf, next }).toString(),
    });
    expect(res.headers.get('location')).toBe('/');
  });

  it('logging out ends the session on the server', async () => {
    const b = rig.browser();
    await b.login('olga');
    const old = b.cookies.get('gw_session')!;
    const res = await b.request('/logout', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${await b.csrf()}` });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?bye=1');
    const replay = await rig.app.request('/api/v1/points', { headers: { cookie: `gw_session=${old}` } });
    expect(replay.status).toBe(401);
  });

  it('the JSON login API answers 200 with the CSRF token, 401 for a wrong password', async () => {
    const b = rig.browser();
    const ok = await b.request('/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'ada', password: 'correct horse 1' }) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ user: 'ada', role: 'admin', csrf: expect.any(String) });
    expect((await b.request('/users')).status).toBe(200);
    const bad = await rig.app.request('/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'ada', password: 'nope nope nope' }) });
    expect(bad.status).toBe(401);
  });

  it('every page has a CSP without inline script and refuses framing', async () => {
    for (const path of [...PAGES, '/login']) {
      const res = await rig.app.request(path, { headers: rig.auth.bearer('admin') });
      const csp = res.headers.get('content-security-policy')!;
      expect(csp, path).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const html = await res.text();
      expect(html, path).not.toMatch(/<script(?![^>]*\b(src=|type="application\/json"))/);
      expect(html).not.toMatch(/\sstyle="|<style/);
      expect(html).not.toMatch(/\son[a-z]+="/);
    }
  });
});
