/** Users, roles and who made a request; shared by the auth services and the web app. */
import type { ThrottleView } from './login-throttle.js';
export type { ThrottleView };

/** Roles a person can have, weakest first. */
export const USER_ROLES = ['viewer', 'operator', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/**
 * Roles a request can carry. API tokens may also be `ems` (the central EMS pulling data): it reads
 * like a viewer on the web API and has its own rights on the sync routes.
 */
export type Role = UserRole | 'ems';

/** Who made a request, after authentication. */
export interface Principal {
  name: string;
  role: Role;
  /** how they proved it: a browser session or an API token */
  via: 'session' | 'token';
}

export interface UserRecord {
  name: string;
  role: UserRole;
  createdAt: number;
  /** ms epoch of the last successful login, null before the first */
  lastLoginAt: number | null;
  /** consecutive failed logins since the last success */
  failedLogins: number;
  /** while set and in the future, every login is refused */
  lockedUntil: number | null;
}

/**
 * What the login page hears back. `throttled` (too many failures, or too many logins at once)
 * says when to try again; it is the same for known and unknown user names.
 */
export type LoginResult =
  | { ok: true; session: SessionInfo }
  | { ok: false; reason: 'invalid' | 'throttled'; retryAfterMs?: number };

export interface SessionInfo {
  /** the cookie value; only its hash is stored */
  id: string;
  user: string;
  role: UserRole;
  /** synchronizer token: state-changing requests with this session must echo it */
  csrf: string;
  createdAt: number;
  expiresAt: number;
}

/** An API token check, supplied by the token module: the bearer string → who, or undefined. */
export type VerifyToken = (bearer: string) => { name: string; role: string } | undefined | Promise<{ name: string; role: string } | undefined>;

/** What the web app needs from the auth services. */
export interface AuthService {
  login(name: string, password: string, client: string): Promise<LoginResult>;
  logout(sessionId: string): void;
  /** The session behind a cookie value, refreshed (idle timeout), or undefined when unknown or expired. */
  session(sessionId: string): SessionInfo | undefined;
  /** Who an `Authorization: Bearer` token belongs to, or undefined. */
  verifyBearer(token: string): Promise<Principal | undefined>;
  users: UserAdmin;
  /** Login delays and refused addresses now in force (admins see them on the users page). */
  loginThrottles?(): ThrottleView[];
}

/** User management, for admins (web) and the `gateway user` command. */
export interface UserAdmin {
  list(): UserRecord[];
  get(name: string): UserRecord | undefined;
  add(name: string, password: string, role: UserRole): Promise<UserRecord>;
  setRole(name: string, role: UserRole): void;
  setPassword(name: string, password: string): Promise<void>;
  /** Clears the failure count and every login delay of this user (an admin's decision). */
  unlock(name: string): void;
  remove(name: string): void;
  count(): number;
}
