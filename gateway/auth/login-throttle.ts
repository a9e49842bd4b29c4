/**
 * Slows down password guessing two ways: a user is locked after `maxFailures` wrong passwords in a
 * row (counted in the user table, so a restart does not reset it), and a client address that keeps
 * failing (spraying many names) is refused for a while. Both answers say when to try again.
 */
export interface ThrottlePolicy {
  /** consecutive wrong passwords before a user is locked */
  maxFailures: number;
  lockoutMs: number;
  /** failed logins from one client address within `clientWindowMs` before it is refused */
  maxClientFailures: number;
  clientWindowMs: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  maxFailures: 5,
  lockoutMs: 15 * 60_000,
  maxClientFailures: 20,
  clientWindowMs: 15 * 60_000,
};

export interface ClientThrottle {
  /** ms until this client may try again, 0 when it may now */
  blockedFor(client: string): number;
  fail(client: string): void;
  succeed(client: string): void;
}

/** Remembered client addresses; beyond this the oldest is forgotten (memory stays bounded). */
const MAX_CLIENTS = 10_000;

export function createClientThrottle(policy: ThrottlePolicy, now: () => number = Date.now): ClientThrottle {
  const failures = new Map<string, number[]>();
  const recent = (client: string) => {
    const since = now() - policy.clientWindowMs;
    const list = (failures.get(client) ?? []).filter((t) => t > since);
    if (list.length === 0) failures.delete(client);
    else failures.set(client, list);
    return list;
  };
  return {
    blockedFor(client) {
      const list = recent(client);
      if (list.length < policy.maxClientFailures) return 0;
      return Math.max(0, list[list.length - policy.maxClientFailures]! + policy.clientWindowMs - now());
    },
    fail(client) {
      const list = recent(client);
      list.push(now());
      failures.delete(client);
      failures.set(client, list.slice(-policy.maxClientFailures));
      if (failures.size > MAX_CLIENTS) failures.delete(failures.keys().next().value!);
    },
    succeed(client) {
      failures.delete(client);
    },
  };
}
