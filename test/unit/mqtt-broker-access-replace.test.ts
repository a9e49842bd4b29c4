/**
 * The broker's access rules replaced live (drivers/mqtt/broker-auth.ts): what the change reports
 * (whose clients must go), rules switching at once, and a login whose user is removed while its
 * password is being checked being refused.
 */
import { describe, expect, it } from 'vitest';
import { Secret } from '../../core/secret.js';
import { createBrokerAccess } from '../../drivers/mqtt/broker-auth.js';
import { hashPassword } from '../../drivers/mqtt/password.js';
import type { MqttBrokerUser } from '../../drivers/mqtt/point.js';

const FAST = { N: 1024, r: 8, p: 1 };
const user = async (username: string, password: string, extra: Partial<MqttBrokerUser> = {}): Promise<MqttBrokerUser> => ({
  username,
  password: { hash: await hashPassword(password, FAST) },
  publish: [`s/${username}/#`],
  subscribe: [],
  ...extra,
});
const open = (users: MqttBrokerUser[], allowAnonymous = false) => ({ users, allowAnonymous, anonymousPublish: ['anon/#'] });

describe('broker access replaced live', () => {
  it('reports added, removed and changed users, and whose clients must be disconnected', async () => {
    const a = await user('a', 'pw-a');
    const b = await user('b', 'pw-b');
    const c = await user('c', 'pw-c');
    const d = await user('d', 'pw-d');
    const access = createBrokerAccess(open([a, b, c, d], true));
    await access.ready();
    const change = await access.replace(
      open([a, { ...b, password: { hash: await hashPassword('pw-b2', FAST) } }, { ...c, publish: ['s/c/other'] }, { ...d, subscribe: ['cmd/d'] }, await user('e', 'pw-e')]),
    );
    expect(change).toEqual({ added: ['e'], removed: [], changed: ['b', 'c', 'd'], disconnect: ['b', 'd'], disconnectAnonymous: true });
    expect(access.mayPublish('c', 's/c/other')).toBe(true);
    expect(access.mayPublish('c', 's/c/x')).toBe(false);
    expect(access.maySubscribe('d', 'cmd/d')).toBe(true);
    expect(access.mayPublish(null, 'anon/x')).toBe(false);
    expect((await access.authenticate('b', Buffer.from('pw-b'))).ok).toBe(false);
    expect((await access.authenticate('b', Buffer.from('pw-b2'))).ok).toBe(true);
    expect(await access.authenticate(undefined, undefined)).toMatchObject({ ok: false, code: 5 });
    const removed = await access.replace(open([a]));
    expect(removed).toMatchObject({ removed: ['b', 'c', 'd', 'e'], disconnect: ['b', 'c', 'd', 'e'], disconnectAnonymous: false });
  });

  it('a password from the environment that did not change is not a change; one that did is', async () => {
    const env = (value: string): MqttBrokerUser => ({ username: 'env', password: { secret: new Secret(value) }, publish: [], subscribe: [] });
    const access = createBrokerAccess(open([env('one')]));
    expect(await access.replace(open([env('one')]))).toMatchObject({ changed: [], disconnect: [] });
    expect(await access.replace(open([env('two')]))).toMatchObject({ changed: ['env'], disconnect: ['env'] });
    expect((await access.authenticate('env', Buffer.from('two'))).ok).toBe(true);
    expect((await access.authenticate('env', Buffer.from('one'))).ok).toBe(false);
  });

  it('a login whose user is removed while its password is checked is refused; one whose user stays is not', async () => {
    const a = await user('a', 'pw-a');
    const b = await user('b', 'pw-b');
    const access = createBrokerAccess(open([a, b]));
    await access.ready();
    const login = access.authenticate('a', Buffer.from('pw-a'));
    // the replace needs no hashing (hashes given): it lands while the login's scrypt runs
    await access.replace(open([b]));
    expect(await login).toMatchObject({ ok: false, code: 4, why: 'user changed during login' });
    const stays = access.authenticate('b', Buffer.from('pw-b'));
    await access.replace(open([b], true));
    expect(await stays).toEqual({ ok: true, username: 'b' });
  });
});
