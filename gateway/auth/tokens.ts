/**
 * API tokens for machines (the central EMS pulling data, scripts): `gateway token create` prints a
 * token once; only its SHA-256 is kept, in the auth database beside users and sessions.
 *
 * Why SHA-256 and not scrypt: a token is 32 random bytes (256 bits), so there is nothing to guess
 * and nothing for a slow hash to protect; scrypt protects low-entropy passwords. A fast hash also
 * lets a request find its token by an indexed lookup instead of a costly check per stored token,
 * which matters for an EMS paging through the pull API many times a second. A stolen copy of the
 * database still hands out no usable token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GatewayError } from '../../core/errors.js';
import type { AuthDb } from './auth-db.js';
import { isRole } from './roles.js';
import type { Role } from './types.js';

export const TOKEN_ROLES: readonly Role[] = ['viewer', 'operator', 'ems', 'admin'];
const TOKEN_PREFIX = 'gwt_';
const TOKEN_BYTES = 32;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** last-use times are written at most this often per token: a verify is not a write */
const LAST_USE_RESOLUTION_MS = 60_000;

export interface TokenRecord {
  name: string;
  role: Role;
  createdAt: number;
  lastUsedAt: number | null;
  /** the first characters of the token, to tell tokens apart in a list (not enough to use it) */
  hint: string;
}

export interface CreatedToken {
  /** the secret: shown once, never stored */
  token: string;
  record: TokenRecord;
}

export interface TokenStore {
  /** Creates a token; throws if the name is taken or invalid. */
  create(name: string, role: Role): CreatedToken;
  /** The token's owner and role, or undefined (unknown, revoked, malformed). A `Bearer ` prefix is accepted. */
  verifyToken(bearer: string): { name: string; role: Role } | undefined;
  list(): TokenRecord[];
  /** Returns false when there was no such token. */
  revoke(name: string): boolean;
}

export function createTokenStore(db: AuthDb, now: () => number = Date.now): TokenStore {
  // Its own table, created here rather than in the auth database's migrations, so the token
  // module stays self-contained; the name carries its version.
  db.exec(`
    CREATE TABLE IF NOT EXISTS api_tokens_v1 (
      name TEXT PRIMARY KEY COLLATE NOCASE,
      hash TEXT NOT NULL UNIQUE,
      role TEXT NOT NULL,
      hint TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER
    )
  `);
  const insert = db.prepare('INSERT INTO api_tokens_v1 (name, hash, role, hint, created_at) VALUES (?, ?, ?, ?, ?)');
  const byHash = db.prepare('SELECT name, role FROM api_tokens_v1 WHERE hash = ?').raw();
  const touch = db.prepare('UPDATE api_tokens_v1 SET last_used_at = ? WHERE name = ?');
  const all = db.prepare('SELECT name, role, created_at, last_used_at, hint FROM api_tokens_v1 ORDER BY name').raw();
  const remove = db.prepare('DELETE FROM api_tokens_v1 WHERE name = ?');
  const exists = db.prepare('SELECT 1 FROM api_tokens_v1 WHERE name = ?').pluck();
  const touched = new Map<string, number>();

  return {
    create(name, role) {
      if (!NAME.test(name)) throw new GatewayError(`token name "${name}" must be 1-64 characters of A-Z, a-z, 0-9, _ . -`);
      if (!isRole(role)) throw new GatewayError(`role must be one of ${TOKEN_ROLES.join(', ')}, got "${String(role)}"`);
      if (exists.get(name)) throw new GatewayError(`a token named "${name}" exists; revoke it first (gateway token revoke --name ${name})`);
      const token = TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
      const record: TokenRecord = { name, role, createdAt: now(), lastUsedAt: null, hint: token.slice(0, TOKEN_PREFIX.length + 4) };
      insert.run(name, hashToken(token), role, record.hint, record.createdAt);
      return { token, record };
    },
    verifyToken(bearer) {
      const token = bearer.replace(/^Bearer\s+/i, '').trim();
      if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
      const row = byHash.get(hashToken(token)) as [string, string] | undefined;
      if (!row || !isRole(row[1])) return undefined;
      const [name, role] = row;
      const at = now();
      if (at - (touched.get(name) ?? 0) >= LAST_USE_RESOLUTION_MS) {
        touched.set(name, at);
        try {
          touch.run(at, name);
        } catch {
          // A busy auth database must not refuse a valid token; the time is written next time.
          touched.delete(name);
        }
      }
      return { name, role };
    },
    list() {
      return (all.all() as [string, string, number, number | null, string][]).flatMap(([name, role, createdAt, lastUsedAt, hint]) =>
        isRole(role) ? [{ name, role, createdAt, lastUsedAt, hint }] : [],
      );
    },
    revoke(name) {
      touched.delete(name);
      return remove.run(name).changes > 0;
    },
  };
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
