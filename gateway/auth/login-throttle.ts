/**
 * Slows down password guessing without letting anyone lock a user out:
 * - per (user name, client address): after `maxFailures` wrong passwords each further try waits
 *   longer (`baseDelayMs`, doubling, at most `maxDelayMs`). The right password from another
 *   address is not affected, so nobody can keep the admin out from one machine.
 * - per client address: `maxClientFailures` failures within `clientWindowMs` (any names) and the
 *   address is refused until the window moves on (spraying many names).
 * - logins in flight (password hash running): at most `maxInFlightPerClient` per address,
 *   `maxInFlightPerUser` per user name and `maxInFlight` in all, so a burst cannot run ahead of
 *   the counters or fill the thread pool with 32 MiB scrypt jobs.
 * Every attempt is counted as a failure when it starts (before the hash runs) and taken back when
 * the password turns out right: simultaneous guesses all see each other. Unknown user names are
 * treated exactly like known ones, so the answers do not tell which names exist.
 */
export interface ThrottlePolicy {
  /** wrong passwords per (user, address) before each further try is delayed */
  maxFailures: number;
  /** the first delay; it doubles with every further failure */
  baseDelayMs: number;
  /** the longest delay between tries of one (user, address) */
  maxDelayMs: number;
  /** failed logins from one client address within `clientWindowMs` before it is refused */
  maxClientFailures: number;
  clientWindowMs: number;
  maxInFlightPerClient: number;
  maxInFlightPerUser: number;
  maxInFlight: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  maxFailures: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  maxClientFailures: 20,
  clientWindowMs: 15 * 60_000,
  maxInFlightPerClient: 4,
  maxInFlightPerUser: 2,
  maxInFlight: 16,
};

/** A login that may go ahead: report how it ended (exactly once). */
export interface LoginAttempt {
  ok: true;
  /** the right password: the reservation is taken back and the (user, address) delay cleared */
  succeed(): void;
  /** a wrong password (already counted): the failures so far of this (user, address) and of the address */
  fail(): { failures: number; clientFailures: number };
}

export type LoginGate = LoginAttempt | { ok: false; why: 'delayed' | 'client' | 'busy'; retryAfterMs: number };

/** What admins see: a (user, address) pair being delayed, or an address refused for any name. */
export interface ThrottleView {
  /** the user name as typed (lower case); null for an address refused for every name */
  user: string | null;
  client: string;
  failures: number;
  /** tries refused while waiting */
  refused: number;
  /** ms until the next try is allowed; 0 when it is allowed now */
  retryAfterMs: number;
}

export interface LoginThrottle {
  /** Checks and reserves an attempt; call before the password hash runs. */
  begin(user: string, client: string): LoginGate;
  /** Current delays and refusals, most recent first (for the admin page). */
  view(): ThrottleView[];
  /** An admin's decision: forget every delay of this user name. */
  clearUser(user: string): void;
}

/** Remembered pairs and addresses; beyond this the oldest is forgotten (memory stays bounded). */
const MAX_ENTRIES = 10_000;
/** A (user, address) pair quiet this long starts again from zero failures. */
const FORGET_MS = 24 * 3_600_000;

interface PairState {
  user: string;
  client: string;
  failures: number;
  lastFailure: number;
  refused: number;
}

const userKey = (user: string) => user.slice(0, 64).toLowerCase();

/** `policy` is read on every call: the auth service changes it in place on a live config change. */
export function createLoginThrottle(policy: ThrottlePolicy, now: () => number = () => performance.now()): LoginThrottle {
  const pairs = new Map<string, PairState>();
  const clientFailures = new Map<string, number[]>();
  const clientRefused = new Map<string, number>();
  const inFlightClient = new Map<string, number>();
  const inFlightUser = new Map<string, number>();
  let inFlight = 0;

  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    map.delete(key);
    map.set(key, value);
    if (map.size > MAX_ENTRIES) map.delete(map.keys().next().value!);
  };
  const recent = (client: string) => {
    const since = now() - policy.clientWindowMs;
    const list = (clientFailures.get(client) ?? []).filter((t) => t > since);
    if (list.length === 0) {
      clientFailures.delete(client);
      clientRefused.delete(client);
    } else clientFailures.set(client, list);
    return list;
  };
  const clientWait = (client: string) => {
    const list = recent(client);
    if (list.length < policy.maxClientFailures) return 0;
    return Math.max(0, list[list.length - policy.maxClientFailures]! + policy.clientWindowMs - now());
  };
  const pairOf = (key: string) => {
    const pair = pairs.get(key);
    if (pair && now() - pair.lastFailure > FORGET_MS) {
      pairs.delete(key);
      return undefined;
    }
    return pair;
  };
  const pairWait = (pair: PairState | undefined) => {
    if (!pair || pair.failures < policy.maxFailures) return 0;
    const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(30, pair.failures - policy.maxFailures));
    return Math.max(0, pair.lastFailure + delay - now());
  };
  const add = (map: Map<string, number>, key: string, by: number) => {
    const n = (map.get(key) ?? 0) + by;
    if (n <= 0) map.delete(key);
    else map.set(key, n);
  };

  return {
    begin(rawUser, client) {
      const user = userKey(rawUser);
      const key = `${user}\u0000${client}`;
      const byClient = clientWait(client);
      if (byClient > 0) {
        clientRefused.set(client, (clientRefused.get(client) ?? 0) + 1);
        return { ok: false, why: 'client', retryAfterMs: byClient };
      }
      const pair = pairOf(key);
      const byPair = pairWait(pair);
      if (byPair > 0) {
        pair!.refused++;
        return { ok: false, why: 'delayed', retryAfterMs: byPair };
      }
      if (
        inFlight >= policy.maxInFlight ||
        (inFlightClient.get(client) ?? 0) >= policy.maxInFlightPerClient ||
        (inFlightUser.get(user) ?? 0) >= policy.maxInFlightPerUser
      ) {
        // Not a guess (no hash ran), so not counted; the caller may simply try again.
        return { ok: false, why: 'busy', retryAfterMs: 1_000 };
      }
      // Reserve first: every simultaneous attempt sees this one as a failure already.
      const at = now();
      const list = recent(client);
      list.push(at);
      remember(clientFailures, client, list.slice(-policy.maxClientFailures));
      const state = pair ?? { user, client, failures: 0, lastFailure: at, refused: 0 };
      state.failures++;
      state.lastFailure = at;
      remember(pairs, key, state);
      inFlight++;
      add(inFlightClient, client, 1);
      add(inFlightUser, user, 1);
      let done = false;
      const finish = () => {
        if (done) return false;
        done = true;
        inFlight--;
        add(inFlightClient, client, -1);
        add(inFlightUser, user, -1);
        return true;
      };
      return {
        ok: true,
        succeed() {
          if (!finish()) return;
          pairs.delete(key);
          const mine = clientFailures.get(client);
          const i = mine?.indexOf(at) ?? -1;
          if (mine && i >= 0) mine.splice(i, 1);
        },
        fail() {
          finish();
          return { failures: pairs.get(key)?.failures ?? 0, clientFailures: recent(client).length };
        },
      };
    },
    view() {
      const out: ThrottleView[] = [];
      for (const client of [...clientFailures.keys()]) {
        const wait = clientWait(client);
        if (wait > 0) out.push({ user: null, client, failures: recent(client).length, refused: clientRefused.get(client) ?? 0, retryAfterMs: wait });
      }
      for (const [key, pair] of [...pairs]) {
        if (!pairOf(key) || pair.failures < policy.maxFailures) continue;
        out.push({ user: pair.user, client: pair.client, failures: pair.failures, refused: pair.refused, retryAfterMs: pairWait(pair) });
      }
      return out.reverse();
    },
    clearUser(rawUser) {
      const user = userKey(rawUser);
      for (const [key, pair] of pairs) if (pair.user === user) pairs.delete(key);
    },
  };
}
