import { describe, expect, it } from 'vitest';
import { Secret } from '../../core/secret.js';
import { createBrokerAccess } from '../../drivers/mqtt/broker-auth.js';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../drivers/mqtt/password.js';

const FAST = { N: 1024, r: 8, p: 1 };

describe('password hashes', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('s3cret-rack', FAST);
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('s3cret-rack', hash)).toBe(true);
    expect(await verifyPassword('s3cret-rackX', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    expect(await hashPassword('same', FAST)).not.toBe(await hashPassword('same', FAST));
  });

  it.each([
    ['bcrypt$xyz', 'is not a scrypt hash'],
    ['scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'invalid scrypt parameters'],
    ['scrypt$1048576$16$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'more scrypt memory'],
    ['scrypt$1024$8$1$AA==$AA==', 'too short'],
  ])('refuses %s', (hash, message) => {
    expect(parsePasswordHash(hash)).toContain(message);
  });
});

describe('broker access', async () => {
  const access = createBrokerAccess({
    allowAnonymous: false,
    anonymousPublish: ['#'],
    users: [
      { username: 'rack-a01', password: { hash: await hashPassword('pw-a01', FAST) }, publish: ['dc1/rack/a01/#'], subscribe: [] },
      { username: 'leak1', password: { secret: new Secret('from-env') }, publish: ['sensors/%u/#'], subscribe: [] },
      { username: 'ems', password: { secret: new Secret('ems-pw') }, publish: [], subscribe: ['dc1/#'] },
    ],
  });

  it.each([
    ['rack-a01', 'pw-a01', { ok: true, username: 'rack-a01' }],
    ['rack-a01', 'wrong', { ok: false, code: 4 }],
    ['leak1', 'from-env', { ok: true, username: 'leak1' }],
    ['leak1', 'from-env ', { ok: false, code: 4 }],
    ['nobody', 'pw-a01', { ok: false, code: 4 }],
    [undefined, undefined, { ok: false, code: 5 }],
  ])('login %s / %s → %o', async (user, pw, expected) => {
    const result = await access.authenticate(user, pw === undefined ? undefined : Buffer.from(pw));
    expect(result).toMatchObject(expected);
  });

  it.each([
    ['rack-a01', 'dc1/rack/a01/env', true],
    ['rack-a01', 'dc1/rack/a01', true],
    ['rack-a01', 'dc1/rack/a02/env', false],
    ['rack-a01', 'dc1/door/1', false],
    ['leak1', 'sensors/leak1/state', true],
    ['leak1', 'sensors/leak2/state', false],
    ['ems', 'dc1/rack/a01/env', false],
    ['rack-a01', '$SYS/broker/x', false],
  ])('%s may publish to %s: %s', (user, topic, expected) => {
    expect(access.mayPublish(user, topic)).toBe(expected);
  });

  it.each([
    ['ems', 'dc1/rack/+/env', true],
    ['ems', '#', false],
    ['rack-a01', 'dc1/rack/a01/env', false],
  ])('%s may subscribe to %s: %s', (user, filter, expected) => {
    expect(access.maySubscribe(user, filter)).toBe(expected);
  });

  it('lets anonymous clients in only when allowed, and only to their topics', async () => {
    const open = createBrokerAccess({ allowAnonymous: true, anonymousPublish: ['public/#'], users: [] });
    expect(await open.authenticate(undefined, undefined)).toEqual({ ok: true, username: null });
    expect(open.mayPublish(null, 'public/x')).toBe(true);
    expect(open.mayPublish(null, 'dc1/x')).toBe(false);
  });
});
