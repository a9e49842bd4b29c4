/**
 * Backoff for MQTT password guessing, per client address and per username. The first few
 * failures are free (a sensor with a typo); after that each key must wait, doubling each time up
 * to a cap, and while it waits its connects are refused before any password hash runs. Attempts
 * in flight count as failures until they end, so 60 guesses sent at once get no more tries than
 * 60 sent one after another.
 *
 * A username under attack must not lock its own sensor out: an address that logged in as that
 * user before stays allowed by the username's backoff (its own address backoff still applies).
 */

export interface LoginBackoff {
  /** failures allowed before any backoff (and logins in flight at once per key) */
  afterFailures: number;
  /** the first wait; each further failure doubles it */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_LOGIN_BACKOFF: LoginBackoff = { afterFailures: 5, initialDelayMs: 1000, maxDelayMs: 60_000 };
/** failures are forgotten after this long without a new one */
const FORGET_AFTER_MS = 15 * 60_000;
/** bounds memory when names or addresses are sprayed */
const MAX_KEYS = 10_000;
const MAX_TRUSTED_PER_USER = 32;

interface Entry {
  failures: number;
  pending: number;
  lastFailureAt: number;
  blockedUntil: number;
}

export interface LoginAttempt {
  succeeded(): void;
  failed(): void;
}

export interface LoginThrottleStats {
  /** addresses / usernames waiting out a backoff now */
  blockedAddresses: number;
  blockedUsernames: number;
}

export interface LoginThrottle {
  /** null: refused now (too many failures); otherwise end the attempt with succeeded/failed */
  begin(address: string, username: string | null): LoginAttempt | null;
  stats(): LoginThrottleStats;
}

export function createLoginThrottle(backoff: LoginBackoff = DEFAULT_LOGIN_BACKOFF, now: () => number = () => performance.now()): LoginThrottle {
  const entries = new Map<string, Entry>();
  /** username → addresses it logged in from (insertion order = age) */
  const trusted = new Map<string, Set<string>>();
  let prunedAt = -Infinity;

  const prune = (t: number) => {
    if (t - prunedAt < 1000 && entries.size < MAX_KEYS) return;
    prunedAt = t;
    for (const [key, e] of entries) {
      if (e.pending === 0 && t - e.lastFailureAt > FORGET_AFTER_MS && t >= e.blockedUntil) entries.delete(key);
    }
    // still too many: drop the oldest idle ones (Map order is insertion order), those not
    // waiting out a backoff first, so a spray of new names cannot wash out a running backoff
    for (const waiting of [false, true]) {
      for (const [key, e] of entries) {
        if (entries.size < MAX_KEYS) return;
        if (e.pending === 0 && (waiting || t >= e.blockedUntil)) entries.delete(key);
      }
    }
  };
  const allows = (e: Entry | undefined, t: number) =>
    e === undefined || e.failures + e.pending < backoff.afterFailures || (e.pending === 0 && t >= e.blockedUntil);
  const entry = (key: string): Entry => {
    let e = entries.get(key);
    if (!e) {
      e = { failures: 0, pending: 0, lastFailureAt: -Infinity, blockedUntil: -Infinity };
      entries.set(key, e);
    }
    return e;
  };

  return {
    begin(address, username) {
      const t = now();
      prune(t);
      const addressKey = `a:${address}`;
      const userKey = username === null ? null : `u:${username}`;
      if (!allows(entries.get(addressKey), t)) return null;
      const isTrusted = username !== null && (trusted.get(username)?.has(address) ?? false);
      if (userKey !== null && !isTrusted && !allows(entries.get(userKey), t)) return null;
      const keys = userKey === null || isTrusted ? [addressKey] : [addressKey, userKey];
      const held = keys.map(entry);
      for (const e of held) e.pending += 1;
      let ended = false;
      const end = (ok: boolean) => {
        if (ended) return;
        ended = true;
        const at = now();
        for (const e of held) {
          e.pending -= 1;
          if (ok) continue;
          e.failures += 1;
          e.lastFailureAt = at;
          const over = e.failures - backoff.afterFailures;
          if (over >= 0) e.blockedUntil = at + Math.min(backoff.initialDelayMs * 2 ** Math.min(over, 30), backoff.maxDelayMs);
        }
        if (ok && username !== null) {
          const set = trusted.get(username) ?? new Set<string>();
          set.delete(address);
          set.add(address);
          if (set.size > MAX_TRUSTED_PER_USER) set.delete(set.values().next().value!);
          trusted.set(username, set);
        }
      };
      return { succeeded: () => end(true), failed: () => end(false) };
    },
    stats() {
      const t = now();
      let blockedAddresses = 0;
      let blockedUsernames = 0;
      for (const [key, e] of entries) {
        if (t >= e.blockedUntil) continue;
        if (key.startsWith('a:')) blockedAddresses += 1;
        else blockedUsernames += 1;
      }
      return { blockedAddresses, blockedUsernames };
    },
  };
}
