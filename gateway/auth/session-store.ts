/**
 * Browser sessions, kept in the auth database so a gateway restart does not log out the tablet on
 * the wall. The cookie holds a random id; the table holds only its SHA-256. Each request reads the
 * user's current role, so a role change or a removed user takes effect at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AuthDb } from './auth-db.js';
import { isUserRole } from './roles.js';
import type { SessionInfo, UserRole } from './types.js';

export interface SessionPolicy {
  /** a session unused this long ends */
  idleMs: number;
  /** a session ends this long after login, used or not */
  maxAgeMs: number;
}

export interface SessionStore {
  create(user: string, role: UserRole): SessionInfo;
  /** The live session for a cookie value (and marks it used), or undefined. */
  get(id: string): SessionInfo | undefined;
  remove(id: string): void;
  /** Deletes expired sessions; returns how many. */
  sweep(): number;
}

/** Writing last_seen on every request would be a write per request; a minute is precise enough. */
const TOUCH_AFTER_MS = 60_000;

const hashId = (id: string) => createHash('sha256').update(id).digest('base64url');

type Row = { user: string; role: string; csrf: string; created_at: number; last_seen: number; expires_at: number };

/** `policy` is read on every call: the auth service changes it in place on a live config change. */
export function createSessionStore(db: AuthDb, policy: SessionPolicy, now: () => number = Date.now): SessionStore {
  const insert = db.prepare('INSERT INTO sessions (id_hash, user, csrf, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?, ?)');
  const lookup = db.prepare<[string], Row>(
    'SELECT s.user, u.role, s.csrf, s.created_at, s.last_seen, s.expires_at FROM sessions s JOIN users u ON u.name = s.user WHERE s.id_hash = ?',
  );
  const touch = db.prepare('UPDATE sessions SET last_seen = ? WHERE id_hash = ?');
  const remove = db.prepare('DELETE FROM sessions WHERE id_hash = ?');
  const sweep = db.prepare('DELETE FROM sessions WHERE expires_at <= ? OR last_seen <= ?');

  return {
    create(user, role) {
      const id = randomBytes(32).toString('base64url');
      const csrf = randomBytes(24).toString('base64url');
      const at = now();
      const expiresAt = at + policy.maxAgeMs;
      insert.run(hashId(id), user, csrf, at, at, expiresAt);
      return { id, user, role, csrf, createdAt: at, expiresAt };
    },
    get(id) {
      if (!id || id.length > 100) return undefined;
      const key = hashId(id);
      const row = lookup.get(key);
      if (!row) return undefined;
      const at = now();
      if (row.expires_at <= at || row.last_seen + policy.idleMs <= at || !isUserRole(row.role)) {
        remove.run(key);
        return undefined;
      }
      if (at - row.last_seen >= TOUCH_AFTER_MS) touch.run(at, key);
      return { id, user: row.user, role: row.role, csrf: row.csrf, createdAt: row.created_at, expiresAt: row.expires_at };
    },
    remove: (id) => void remove.run(hashId(id)),
    sweep() {
      const at = now();
      return sweep.run(at, at - policy.idleMs).changes;
    },
  };
}
