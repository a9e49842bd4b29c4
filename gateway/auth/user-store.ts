/** Users in the auth database: names, roles, password hashes and the login-failure counters. */
import { GatewayError } from '../../core/errors.js';
import type { AuthDb } from './auth-db.js';
import { assertPassword, hashPassword } from './password.js';
import { isUserRole } from './roles.js';
import type { UserAdmin, UserRecord, UserRole } from './types.js';

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function assertUserName(name: string): void {
  if (!USER_NAME.test(name)) {
    throw new GatewayError(`"${name}" is not a user name (1-64 of A-Z a-z 0-9 . _ @ -, starting with a letter or digit)`);
  }
}

type Row = {
  name: string;
  role: string;
  hash: string;
  created_at: number;
  last_login_at: number | null;
  failed_logins: number;
  locked_until: number | null;
};

export interface UserStore extends UserAdmin {
  /** The stored hash, for the login check only. */
  credentials(name: string): { user: UserRecord; hash: string } | undefined;
  recordSuccess(name: string, at: number): void;
  /** Counts a failure; returns the new count. */
  recordFailure(name: string): number;
  lock(name: string, until: number): void;
}

function toRecord(r: Row): UserRecord {
  return {
    name: r.name,
    role: isUserRole(r.role) ? r.role : 'viewer',
    createdAt: r.created_at,
    lastLoginAt: r.last_login_at,
    failedLogins: r.failed_logins,
    lockedUntil: r.locked_until,
  };
}

/** scrypt cost: N, r, p (the default suits a Raspberry Pi; tests may pass a cheaper one) */
export type HashCost = { N: number; r: number; p: number };

export function createUserStore(db: AuthDb, now: () => number = Date.now, cost?: HashCost): UserStore {
  const byName = db.prepare<[string], Row>('SELECT * FROM users WHERE name = ?');
  const all = db.prepare<[], Row>('SELECT * FROM users ORDER BY name COLLATE NOCASE');
  const insert = db.prepare('INSERT INTO users (name, role, hash, created_at) VALUES (?, ?, ?, ?)');
  const updateRole = db.prepare('UPDATE users SET role = ? WHERE name = ?');
  const updateHash = db.prepare('UPDATE users SET hash = ?, failed_logins = 0, locked_until = NULL WHERE name = ?');
  const dropSessions = db.prepare('DELETE FROM sessions WHERE user = ?');
  const success = db.prepare('UPDATE users SET last_login_at = ?, failed_logins = 0, locked_until = NULL WHERE name = ?');
  const failure = db.prepare<[string], { failed_logins: number }>(
    'UPDATE users SET failed_logins = failed_logins + 1 WHERE name = ? RETURNING failed_logins',
  );
  const lock = db.prepare('UPDATE users SET locked_until = ? WHERE name = ?');
  const unlock = db.prepare('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE name = ?');
  const remove = db.prepare('DELETE FROM users WHERE name = ?');
  const count = db.prepare('SELECT count(*) FROM users').pluck();
  const admins = db.prepare("SELECT count(*) FROM users WHERE role = 'admin'").pluck();
  // Nobody could manage users any more; the CLI could still add one, but the web page could not.
  const keepAnAdmin = (name: string, nextRole: UserRole | null) => {
    if (mustGet(name).role === 'admin' && nextRole !== 'admin' && Number(admins.get()) <= 1) {
      throw new GatewayError(`"${name}" is the last admin; make another user admin first`);
    }
  };

  const mustGet = (name: string): Row => {
    const row = byName.get(name);
    if (!row) throw new GatewayError(`no user "${name}"`);
    return row;
  };
  const assertRole = (role: string) => {
    if (!isUserRole(role)) throw new GatewayError(`"${role}" is not a role (viewer, operator, admin)`);
  };

  return {
    list: () => all.all().map(toRecord),
    get(name) {
      const row = byName.get(name);
      return row ? toRecord(row) : undefined;
    },
    async add(name, password, role: UserRole) {
      assertUserName(name);
      assertRole(role);
      assertPassword(password);
      if (byName.get(name)) throw new GatewayError(`user "${name}" already exists`);
      const hash = await hashPassword(password, cost);
      try {
        insert.run(name, role, hash, now());
      } catch (err) {
        // Two adds racing (the CLI while the web page adds the same name).
        throw new GatewayError(`user "${name}" already exists`, { cause: err });
      }
      return toRecord(mustGet(name));
    },
    setRole(name, role) {
      assertRole(role);
      keepAnAdmin(name, role);
      updateRole.run(role, name);
    },
    async setPassword(name, password) {
      mustGet(name);
      assertPassword(password);
      const hash = await hashPassword(password, cost);
      // A new password ends every session the old one opened.
      db.transaction(() => {
        updateHash.run(hash, name);
        dropSessions.run(name);
      })();
    },
    unlock(name) {
      mustGet(name);
      unlock.run(name);
    },
    remove(name) {
      keepAnAdmin(name, null);
      remove.run(name);
    },
    count: () => Number(count.get()),
    credentials(name) {
      const row = byName.get(name);
      return row ? { user: toRecord(row), hash: row.hash } : undefined;
    },
    recordSuccess: (name, at) => void success.run(at, name),
    recordFailure: (name) => failure.get(name)?.failed_logins ?? 0,
    lock: (name, until) => void lock.run(until, name),
  };
}
