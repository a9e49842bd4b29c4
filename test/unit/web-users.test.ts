/** The admin's users page: add, change role, set a password, remove, and API tokens (shown once). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Browser, createWebRig, type WebRig } from '../helpers/web-app.js';
import { createTempStores } from '../helpers/temp-store.js';

describe('users page', () => {
  const temp = createTempStores('gw-web-users-');
  let rig: WebRig;
  let admin: Browser;
  const post = async (path: string, fields: Record<string, string>) =>
    admin.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, _csrf: await admin.csrf() }).toString(),
    });

  beforeEach(async () => {
    rig = createWebRig({ temp });
    await rig.auth.addUser('ada', 'admin');
    admin = rig.browser();
    await admin.login('ada');
  });
  afterEach(() => {
    rig.close();
    temp.cleanup();
  });

  it('adds a user who can then log in with their role', async () => {
    const res = await post('/users', { name: 'min-ji', role: 'operator', password: 'a long password' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/users?saved=1');
    expect(await (await admin.request('/users?saved=1')).text()).toContain('min-ji');
    const b = rig.browser();
    expect((await b.login('min-ji', 'a long password')).status).toBe(303);
    expect(await (await b.request('/api/v1/session')).json()).toMatchObject({ user: 'min-ji', role: 'operator' });
  });

  it.each([
    [{ name: 'x y', role: 'viewer', password: 'a long password' }, 'not a user name'],
    [{ name: 'lee', role: 'viewer', password: 'short' }, 'at least 10'],
    [{ name: 'lee', role: 'root', password: 'a long password' }, 'not a role'],
  ])('refuses %j with a message', async (fields, message) => {
    const res = await post('/users', fields);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(message);
  });

  it('changes a role, and refuses to demote the last admin', async () => {
    await rig.auth.addUser('vic', 'viewer');
    expect((await post('/users/vic/role', { role: 'operator' })).status).toBe(303);
    expect(rig.auth.auth.users.get('vic')?.role).toBe('operator');
    const res = await post('/users/ada/role', { role: 'viewer' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('last admin');
  });

  it('a new password ends the user\u2019s sessions; remove ends the user', async () => {
    await rig.auth.addUser('vic', 'viewer');
    const vic = rig.browser();
    await vic.login('vic');
    await post('/users/vic/password', { password: 'another password' });
    expect((await vic.request('/api/v1/points')).status).toBe(401);
    await post('/users/vic/delete', {});
    expect(rig.auth.auth.users.get('vic')).toBeUndefined();
  });

  it('creates an API token shown once, which then works; revoking it stops it', async () => {
    const res = await post('/users/tokens', { name: 'ems-central', role: 'ems' });
    const html = await res.text();
    const token = /<code id="new-token">([^<]+)<\/code>/.exec(html)?.[1];
    expect(token).toMatch(/^gwt_/);
    const list = await (await admin.request('/users')).text();
    expect(list).not.toContain(token!);
    expect(list).toContain('ems-central');
    const bearer = { authorization: `Bearer ${token}` };
    expect((await rig.app.request('/api/v1/points', { headers: bearer })).status).toBe(200);
    expect((await post('/users/tokens/ems-central/revoke', {})).status).toBe(303);
    expect((await rig.app.request('/api/v1/points', { headers: bearer })).status).toBe(401);
  });

  it('without the CSRF token nothing changes', async () => {
    const res = await admin.request('/users', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=eve&role=admin&password=a+long+password',
    });
    expect(res.status).toBe(403);
    expect(rig.auth.auth.users.get('eve')).toBeUndefined();
  });
});
