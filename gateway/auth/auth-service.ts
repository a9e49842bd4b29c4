/**
 * Login, sessions and API-token checks behind one interface for the web app. Built on the auth
 * database (users, sessions) and, when given, the API-token check of the token module.
 */
import type { Logger } from '../logger.js';
import type { AuthDb } from './auth-db.js';
import { type ClientThrottle, createClientThrottle, DEFAULT_THROTTLE, type ThrottlePolicy } from './login-throttle.js';
import { hashPassword, verifyPassword } from './password.js';
import { isRole } from './roles.js';
import { createSessionStore, type SessionPolicy } from './session-store.js';
import type { AuthService, LoginResult, VerifyToken } from './types.js';
import { createUserStore, type HashCost } from './user-store.js';

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMs: 60 * 60_000, maxAgeMs: 24 * 3_600_000 };

export interface AuthServiceOptions {
  db: AuthDb;
  logger: Logger;
  sessions?: SessionPolicy;
  throttle?: ThrottlePolicy;
  /** API tokens (the token module); without it only sessions authenticate */
  verifyToken?: VerifyToken;
  now?: () => number;
  /** scrypt cost for new password hashes (default N=2^15, r=8, p=1; tests use a cheaper one) */
  hashCost?: HashCost;
}

export interface AuthServiceHandle extends AuthService {
  /** Deletes expired sessions; call it now and then. */
  sweep(): number;
}

export function createAuthService(options: AuthServiceOptions): AuthServiceHandle {
  const now = options.now ?? Date.now;
  const policy = options.throttle ?? DEFAULT_THROTTLE;
  const users = createUserStore(options.db, now, options.hashCost);
  const sessions = createSessionStore(options.db, options.sessions ?? DEFAULT_SESSION_POLICY, now);
  const clients: ClientThrottle = createClientThrottle(policy, now);
  const log = options.logger;
  // Unknown names cost a hash check too, so the answer time does not tell which names exist.
  const decoy = hashPassword('decoy password never used', options.hashCost);

  async function login(name: string, password: string, client: string): Promise<LoginResult> {
    const blocked = clients.blockedFor(client);
    if (blocked > 0) {
      log.warn('login refused: too many failures from this client', { client, user: name });
      return { ok: false, reason: 'throttled', retryAfterMs: blocked };
    }
    const found = name.length <= 64 ? users.credentials(name) : undefined;
    const lockedUntil = found?.user.lockedUntil ?? null;
    if (found && lockedUntil !== null && lockedUntil > now()) {
      clients.fail(client);
      log.warn('login refused: user locked', { client, user: found.user.name });
      return { ok: false, reason: 'locked', retryAfterMs: lockedUntil - now() };
    }
    const ok = await verifyPassword(password, found?.hash ?? (await decoy));
    if (!found || !ok) {
      clients.fail(client);
      if (found) {
        const failures = users.recordFailure(found.user.name);
        if (failures >= policy.maxFailures) {
          users.lock(found.user.name, now() + policy.lockoutMs);
          log.warn('user locked after repeated failed logins', { client, user: found.user.name, failures });
          return { ok: false, reason: 'locked', retryAfterMs: policy.lockoutMs };
        }
      }
      log.info('login failed', { client, user: name });
      return { ok: false, reason: 'invalid' };
    }
    clients.succeed(client);
    users.recordSuccess(found.user.name, now());
    log.info('login', { client, user: found.user.name, role: found.user.role });
    return { ok: true, session: sessions.create(found.user.name, found.user.role) };
  }

  return {
    login,
    logout: (id) => sessions.remove(id),
    session: (id) => sessions.get(id),
    async verifyBearer(token) {
      if (!options.verifyToken || !token) return undefined;
      const who = await options.verifyToken(token);
      if (!who || !isRole(who.role)) return undefined;
      return { name: who.name, role: who.role, via: 'token' };
    },
    users,
    sweep: () => sessions.sweep(),
  };
}
