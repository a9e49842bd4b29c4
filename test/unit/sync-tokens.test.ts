/** API tokens: shown once, stored as a hash, checked by lookup, revocable, visible across processes. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type AuthDb, openAuthDb } from '../../gateway/auth/auth-db.js';
import { createTokenStore } from '../../gateway/auth/tokens.js';

const dirs: string[] = [];
const dbs: AuthDb[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function authFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sync-tokens-'));
  dirs.push(dir);
  return join(dir, 'auth.db');
}

function open(file: string, now?: () => number) {
  const db = openAuthDb(file);
  dbs.push(db);
  return createTokenStore(db, now);
}

describe('API tokens', () => {
  it('verifies a created token by its owner and role, with or without the Bearer prefix', () => {
    const tokens = open(authFile());
    const { token, record } = tokens.create('ems', 'ems');
    expect(token).toMatch(/^gwt_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ name: 'ems', role: 'ems', lastUsedAt: null, hint: token.slice(0, 8) });
    expect(tokens.verifyToken(token)).toEqual({ name: 'ems', role: 'ems' });
    expect(tokens.verifyToken(`Bearer ${token}`)).toEqual({ name: 'ems', role: 'ems' });
  });

  it.each([
    ['a different token', () => `gwt_${'A'.repeat(43)}`],
    ['a truncated token', (t: string) => t.slice(0, -1)],
    ['the hash instead of the token', (t: string) => createHash('sha256').update(t).digest('hex')],
    ['an empty string', () => ''],
    ['an overlong string', (t: string) => t + 'x'.repeat(300)],
  ])('refuses %s', (_name, wrong) => {
    const tokens = open(authFile());
    const { token } = tokens.create('ems', 'ems');
    expect(tokens.verifyToken(wrong(token))).toBeUndefined();
  });

  it('keeps only a hash on disk', () => {
    const file = authFile();
    const tokens = open(file);
    const { token } = tokens.create('ems', 'admin');
    for (const db of dbs.splice(0)) db.close();
    const bytes = Buffer.concat([readFileSync(file), readFileSync(`${file}-wal`, { flag: 'a+' })]).toString('latin1');
    expect(bytes).not.toContain(token.slice(4));
    expect(bytes).toContain(createHash('sha256').update(token).digest('hex'));
  });

  it('refuses a taken name, an unknown role and an unfit name', () => {
    const tokens = open(authFile());
    tokens.create('ems', 'ems');
    expect(() => tokens.create('EMS', 'viewer')).toThrow(/exists; revoke it first/);
    expect(() => tokens.create('x', 'root' as never)).toThrow(/role must be one of viewer, operator, ems, admin/);
    expect(() => tokens.create('has space', 'ems')).toThrow(/token name/);
  });

  it('revokes, lists with last use, and is seen at once by another connection (a running gateway)', () => {
    const file = authFile();
    let clock = 1_000_000;
    const gateway = open(file, () => clock);
    const cli = open(file, () => clock);
    const { token } = cli.create('ems', 'ems');
    cli.create('grafana', 'viewer');
    expect(gateway.verifyToken(token)).toEqual({ name: 'ems', role: 'ems' });
    clock += 5000;
    expect(cli.list().map((t) => [t.name, t.role, t.lastUsedAt])).toEqual([
      ['ems', 'ems', 1_000_000],
      ['grafana', 'viewer', null],
    ]);
    expect(cli.revoke('ems')).toBe(true);
    expect(cli.revoke('ems')).toBe(false);
    expect(gateway.verifyToken(token)).toBeUndefined();
  });
});
