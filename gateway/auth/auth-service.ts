/**
 * Login, sessions and API-token checks behind one interface for the web app. Built on the auth
 * database (users, sessions) and, when given, the API-token check of the token module.
 */
import type { Logger } from '../../core/logger.js';
import type { AuthDb } from './auth-db.js';
import { createLoginThrottle, DEFAULT_THROTTLE, type ThrottlePolicy, type ThrottleView } from './login-throttle.js';
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
  /** the throttle's clock (default performance.now; tests pass the same fake clock as `now`) */
  monotonicNow?: () => number;
  /** scrypt cost for new password hashes (default N=2^15, r=8, p=1; tests use a cheaper one) */
  hashCost?: HashCost;
}

export interface AuthServiceHandle extends AuthService {
  /** Deletes expired sessions; call it now and then. */
  sweep(): number;
  loginThrottles(): ThrottleView[];
  /**
   * A live config change of `auth.*`. The idle time and the login backoff apply at once (to
   * existing sessions too); a new maximum age applies to sessions made from now on (a session's
   * end is fixed when it is made). Failures already counted stay counted.
   */
  setPolicies(policies: { sessions?: SessionPolicy; throttle?: Partial<ThrottlePolicy> }): void;
}

export function createAuthService(options: AuthServiceOptions): AuthServiceHandle {
  const now = options.now ?? Date.now;
  // Copies the store and the throttle read on every call, so setPolicies() reaches them.
  const policy: ThrottlePolicy = { ...(options.throttle ?? DEFAULT_THROTTLE) };
  const sessionPolicy: SessionPolicy = { ...(options.sessions ?? DEFAULT_SESSION_POLICY) };
  const users = createUserStore(options.db, now, options.hashCost);
  const sessions = createSessionStore(options.db, sessionPolicy, now);
  const throttle = createLoginThrottle(policy, options.monotonicNow ?? options.now ?? (() => performance.now()));
  const log = options.logger;
  // Unknown names cost a hash check too, so the answer time does not tell which names exist.
  const decoy = hashPassword('decoy password never used', options.hashCost);

  async function login(name: string, password: string, client: string): Promise<LoginResult> {
    // Decided before any lookup or hash, by the name as typed: a known and an unknown name get
    // the same answers at the same speed.
    const gate = throttle.begin(name, client);
    if (!gate.ok) {
      // The warn lines come when a delay or refusal begins (below); each refused try is only debug.
      log.debug('login refused', { client, user: name, why: gate.why, retryAfterMs: gate.retryAfterMs });
      return { ok: false, reason: 'throttled', retryAfterMs: gate.retryAfterMs };
    }
    let ok = false;
    let found: ReturnType<typeof users.credentials> | undefined;
    try {
      found = name.length <= 64 ? users.credentials(name) : undefined;
      ok = (await verifyPassword(password, found?.hash ?? (await decoy))) && found !== undefined;
    } finally {
      if (!ok) {
        const { failures, clientFailures } = gate.fail();
        if (found) users.recordFailure(found.user.name);
        if (clientFailures === policy.maxClientFailures) {
          log.warn('login refused for a while: too many failures from this client address', { client, failures: clientFailures });
        } else if (failures === policy.maxFailures) {
          log.warn('login delayed after repeated failures for this user from one address', { client, user: name, failures });
        } else log.info('login failed', { client, user: name });
      }
    }
    if (!ok || !found) return { ok: false, reason: 'invalid' };
    gate.succeed();
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
    users: {
      ...users,
      // Unlocking also lifts the login delays of that name, from every address.
      unlock(name: string) {
        users.unlock(name);
        throttle.clearUser(name);
      },
    },
    sweep: () => sessions.sweep(),
    loginThrottles: () => throttle.view(),
    setPolicies(next) {
      if (next.sessions) Object.assign(sessionPolicy, next.sessions);
      if (next.throttle) Object.assign(policy, next.throttle);
      log.info('login policies changed', { idleMs: sessionPolicy.idleMs, maxAgeMs: sessionPolicy.maxAgeMs, maxFailures: policy.maxFailures, maxDelayMs: policy.maxDelayMs });
    },
  };
}
