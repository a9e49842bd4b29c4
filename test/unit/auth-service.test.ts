/**
 * Users, passwords, sessions and login throttling on a real auth database: what a facility manager
 * and an attacker each see.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_THROTTLE } from '../../gateway/auth/login-throttle.js';
import { hashPassword, passwordProblem, verifyPassword } from '../../gateway/auth/password.js';
import { roleAtLeast } from '../../gateway/auth/roles.js';
import { type TestAuth, createTestAuth, TEST_PASSWORD } from '../helpers/web-auth.js';

describe('password hashing', () => {
  it('verifies the right password only, and never stores it', async () => {
    const hash = await hashPassword('Sup3r secret!');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(hash).not.toContain('Sup3r');
    expect(await verifyPassword('Sup3r secret!', hash)).toBe(true);
    expect(await verifyPassword('Sup3r secret?', hash)).toBe(false);
    expect(await hashPassword('Sup3r secret!')).not.toBe(hash);
  });

  it.each([
    ['', 'at least 10'],
    ['short1', 'at least 10'],
    ['aaaaaaaaaaaa', 'one character repeated'],
    ['x'.repeat(1500) + 'y', 'longer than'],
    ['good enough pw', undefined],
    ['비밀번호는열자이상입니다', undefined],
  ])('password policy: %# → %s', (pw, problem) => {
    const result = passwordProblem(pw);
    if (problem === undefined) expect(result).toBeUndefined();
    else expect(result).toContain(problem);
  });

  it.each(['', 'plain', 'scrypt$x$8$1$a$b', 'bcrypt$1$2$3$4$5'])('a malformed stored hash %j never matches', async (stored) => {
    expect(await verifyPassword('anything at all', stored)).toBe(false);
  });
});

describe('roles', () => {
  it.each([
    ['viewer', 'viewer', true],
    ['viewer', 'operator', false],
    ['operator', 'operator', true],
    ['operator', 'admin', false],
    ['admin', 'operator', true],
    ['ems', 'viewer', true],
    ['ems', 'operator', false],
  ] as const)('%s has the rights of %s: %s', (role, min, expected) => {
    expect(roleAtLeast(role, min)).toBe(expected);
  });
});

describe('auth service', () => {
  let clock: { now: number };
  let t: TestAuth;
  beforeEach(async () => {
    clock = { now: Date.UTC(2026, 0, 1) };
    t = createTestAuth({
      now: () => clock.now,
      sessions: { idleMs: 30 * 60_000, maxAgeMs: 12 * 3_600_000 },
      throttle: { ...DEFAULT_THROTTLE, maxFailures: 3, baseDelayMs: 60_000, maxDelayMs: 15 * 60_000, maxClientFailures: 6, clientWindowMs: 10 * 60_000 },
    });
    await t.addUser('kim', 'operator');
    await t.addUser('admin', 'admin');
  });
  afterEach(() => t.close());

  it('logs in with the right password and the session carries the role and a CSRF token', async () => {
    const result = await t.auth.login('kim', TEST_PASSWORD, '10.0.0.5');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.session).toMatchObject({ user: 'kim', role: 'operator' });
    expect(result.session.id).toMatch(/^[\w-]{40,}$/);
    expect(result.session.csrf).toMatch(/^[\w-]{30,}$/);
    expect(t.auth.session(result.session.id)).toMatchObject({ user: 'kim', role: 'operator', csrf: result.session.csrf });
    expect(t.auth.users.get('kim')?.lastLoginAt).toBe(clock.now);
  });

  it('user names match case-insensitively; a wrong password or unknown user is the same "invalid"', async () => {
    expect((await t.auth.login('KIM', TEST_PASSWORD, 'a')).ok).toBe(true);
    expect(await t.auth.login('kim', 'wrong password', 'a')).toEqual({ ok: false, reason: 'invalid' });
    expect(await t.auth.login('nobody', TEST_PASSWORD, 'a')).toEqual({ ok: false, reason: 'invalid' });
  });

  it('delays a (user, address) after repeated failures, doubling up to the maximum; another address is not affected', async () => {
    for (let i = 0; i < 3; i++) expect(await t.auth.login('kim', `wrong ${i}`, 'ip1')).toEqual({ ok: false, reason: 'invalid' });
    // 3 failures: the next try from ip1 waits 1 min, even with the right password
    expect(await t.auth.login('kim', TEST_PASSWORD, 'ip1')).toEqual({ ok: false, reason: 'throttled', retryAfterMs: 60_000 });
    expect((await t.auth.login('kim', TEST_PASSWORD, 'ip2')).ok).toBe(true);
    clock.now += 60_000;
    expect(await t.auth.login('kim', 'wrong 4', 'ip1')).toEqual({ ok: false, reason: 'invalid' });
    expect(await t.auth.login('kim', TEST_PASSWORD, 'ip1')).toEqual({ ok: false, reason: 'throttled', retryAfterMs: 2 * 60_000 });
    for (let i = 0; i < 4; i++) {
      clock.now += 15 * 60_000;
      await t.auth.login('kim', 'wrong again', 'ip1');
    }
    expect(await t.auth.login('kim', TEST_PASSWORD, 'ip1')).toEqual({ ok: false, reason: 'throttled', retryAfterMs: 15 * 60_000 });
    clock.now += 15 * 60_000;
    expect((await t.auth.login('kim', TEST_PASSWORD, 'ip1')).ok).toBe(true);
    expect(t.auth.users.get('kim')).toMatchObject({ failedLogins: 0, lockedUntil: null });
  });

  it('an admin can clear a delayed user at once', async () => {
    for (let i = 0; i < 3; i++) await t.auth.login('kim', 'wrong', 'ip0');
    expect(t.auth.loginThrottles()).toEqual([{ user: 'kim', client: 'ip0', failures: 3, refused: 0, retryAfterMs: 60_000 }]);
    t.auth.users.unlock('kim');
    expect(t.auth.loginThrottles()).toEqual([]);
    expect((await t.auth.login('kim', TEST_PASSWORD, 'ip0')).ok).toBe(true);
  });

  it('throttles a client address that sprays many user names', async () => {
    for (let i = 0; i < 6; i++) expect(await t.auth.login(`user${i}`, 'guess guess', '192.0.2.7')).toEqual({ ok: false, reason: 'invalid' });
    const blocked = await t.auth.login('admin', TEST_PASSWORD, '192.0.2.7');
    expect(blocked).toMatchObject({ ok: false, reason: 'throttled' });
    expect((await t.auth.login('admin', TEST_PASSWORD, '192.0.2.8')).ok).toBe(true);
    clock.now += 10 * 60_000 + 1;
    expect((await t.auth.login('admin', TEST_PASSWORD, '192.0.2.7')).ok).toBe(true);
  });

  it('sessions end when idle too long, at their maximum age, on logout, and with a new password', async () => {
    const login = async () => {
      const r = await t.auth.login('kim', TEST_PASSWORD, 'a');
      if (!r.ok) throw new Error('login failed');
      return r.session.id;
    };
    const idle = await login();
    clock.now += 29 * 60_000;
    expect(t.auth.session(idle)).toBeDefined();
    clock.now += 29 * 60_000;
    expect(t.auth.session(idle)).toBeDefined();
    clock.now += 31 * 60_000;
    expect(t.auth.session(idle)).toBeUndefined();

    const old = await login();
    // used every 25 min, so never idle, but older than 12 h
    for (let i = 0; i < 28; i++) {
      clock.now += 25 * 60_000;
      expect(t.auth.session(old)).toBeDefined();
    }
    clock.now += 25 * 60_000;
    expect(t.auth.session(old)).toBeUndefined();

    const out = await login();
    t.auth.logout(out);
    expect(t.auth.session(out)).toBeUndefined();

    const before = await login();
    await t.auth.users.setPassword('kim', 'a new password 2');
    expect(t.auth.session(before)).toBeUndefined();
    expect((await t.auth.login('kim', 'a new password 2', 'a')).ok).toBe(true);
  });

  it('a role change applies to open sessions; a removed user loses them', async () => {
    const r = await t.auth.login('kim', TEST_PASSWORD, 'a');
    if (!r.ok) throw new Error('login failed');
    t.auth.users.setRole('kim', 'viewer');
    expect(t.auth.session(r.session.id)?.role).toBe('viewer');
    t.auth.users.remove('kim');
    expect(t.auth.session(r.session.id)).toBeUndefined();
  });

  it('never removes or demotes the last admin', async () => {
    expect(() => t.auth.users.remove('admin')).toThrow(/last admin/);
    expect(() => t.auth.users.setRole('admin', 'viewer')).toThrow(/last admin/);
    await t.addUser('lee', 'admin');
    t.auth.users.setRole('admin', 'viewer');
    expect(t.auth.users.get('admin')?.role).toBe('viewer');
  });

  it.each([
    ['bad name!', 'viewer', TEST_PASSWORD, /not a user name/],
    ['kim', 'viewer', TEST_PASSWORD, /already exists/],
    ['lee', 'root', TEST_PASSWORD, /not a role/],
    ['lee', 'viewer', 'short', /at least 10/],
  ])('refuses to add %j as %s', async (name, role, password, message) => {
    await expect(t.auth.users.add(name, password, role as 'viewer')).rejects.toThrow(message);
  });

  it('API tokens authenticate with their role; an unknown token does not', async () => {
    const ems = t.bearer('ems').authorization!.slice('Bearer '.length);
    expect(await t.auth.verifyBearer(ems)).toEqual({ name: 'test-ems', role: 'ems', via: 'token' });
    expect(await t.auth.verifyBearer(`${ems.slice(0, -2)}xx`)).toBeUndefined();
    expect(await t.auth.verifyBearer('')).toBeUndefined();
  });
});
