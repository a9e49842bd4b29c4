/**
 * Who may connect to the embedded broker and where each may publish. A sensor gets a username,
 * a password and the topic prefix it owns (`dc1/rack/a01/#`); anything else it publishes is
 * refused (MQTT 3.1.1 has no negative PUBACK, so the broker drops the connection: §3.3.5).
 */
import type { MqttBrokerUser } from './point.js';
import { hashPassword, verifyPassword } from './password.js';
import { topicMatches } from './topic.js';

/** CONNACK return codes (MQTT 3.1.1 §3.2.2.3). */
export const BAD_USERNAME_OR_PASSWORD = 4;
export const NOT_AUTHORIZED = 5;

export type AuthResult = { ok: true; username: string | null } | { ok: false; code: 4 | 5; why: string };

export interface BrokerAccess {
  /** resolves once `${ENV}` passwords are hashed (start-up waits for it) */
  ready(): Promise<void>;
  authenticate(username: string | undefined, password: Buffer | undefined): Promise<AuthResult>;
  /** `username` null: an anonymous client */
  mayPublish(username: string | null, topic: string): boolean;
  maySubscribe(username: string | null, filter: string): boolean;
  /**
   * A live config change: the new users (their `${ENV}` passwords hashed first, nothing changes
   * until they are) and anonymous rules take effect at once, for logins and for the next publish
   * or subscribe of connected clients. Says whose connected clients must go: see AccessChange.
   */
  replace(options: BrokerAccessOptions): Promise<AccessChange>;
}

/** What a replace changed, by username. Never holds a password or hash. */
export interface AccessChange {
  added: string[];
  removed: string[];
  /** users kept with another password, publish or subscribe list */
  changed: string[];
  /**
   * users whose connected clients must be disconnected: removed, or kept with another password
   * (a changed password is often a leaked one) or subscribe list (a granted subscription is not
   * checked again). A changed publish list applies to the next publish and disconnects no one.
   */
  disconnect: string[];
  /** anonymous clients must be disconnected (allowAnonymous turned off) */
  disconnectAnonymous: boolean;
}

export interface BrokerAccessOptions {
  users: readonly MqttBrokerUser[];
  allowAnonymous: boolean;
  anonymousPublish: readonly string[];
}

/** Whether every topic `filter` matches is matched by `pattern` (both may use + and #). */
export function filterCovers(pattern: string, filter: string): boolean {
  const p = pattern.split('/');
  const f = filter.split('/');
  for (let i = 0; i < p.length; i++) {
    const level = p[i]!;
    if (level === '#') return true;
    if (i >= f.length) return false;
    if (f[i] === '#') return false;
    if (level !== '+' && (f[i] === '+' || level !== f[i])) return false;
  }
  return p.length === f.length;
}

function expand(patterns: readonly string[], username: string): string[] {
  // %u lets one rule serve every sensor: `sensors/%u/#`
  return patterns.map((p) => p.split('/').map((level) => (level === '%u' ? username : level)).join('/'));
}

/** Who may publish and subscribe where: known at once (no hashing needed). */
interface AccessRules {
  options: BrokerAccessOptions;
  publishRules: Map<string, string[]>;
  subscribeRules: Map<string, string[]>;
}

/** One set of users and rules; a live change swaps the whole of it at once. */
interface AccessState extends AccessRules {
  /** username → scrypt hash; with the `${ENV}` password each was made from, to reuse it when that stays */
  hashes: Map<string, { hash: string; from?: string }>;
}

function rulesFor(options: BrokerAccessOptions): AccessRules {
  return {
    options,
    publishRules: new Map(options.users.map((u) => [u.username, expand(u.publish, u.username)])),
    subscribeRules: new Map(options.users.map((u) => [u.username, expand(u.subscribe, u.username)])),
  };
}

/**
 * A `${ENV}` password is hashed once at load, so checking it costs one scrypt like every other
 * check: compared in the clear it answered in ~1 ms against ~40 ms, which told a guesser which
 * usernames exist. A live change reuses the hash of an `${ENV}` password that did not change.
 */
async function buildState(options: BrokerAccessOptions, previous?: AccessState): Promise<AccessState> {
  const pairs = await Promise.all(
    options.users.map(async (u) => {
      if ('hash' in u.password) return [u.username, { hash: u.password.hash }] as const;
      const plain = u.password.secret.reveal();
      const old = previous?.hashes.get(u.username);
      return [u.username, old?.from === plain ? old : { hash: await hashPassword(plain), from: plain }] as const;
    }),
  );
  return { ...rulesFor(options), hashes: new Map(pairs) };
}

function compareStates(before: AccessState, after: AccessState): AccessChange {
  const change: AccessChange = { added: [], removed: [], changed: [], disconnect: [], disconnectAnonymous: before.options.allowAnonymous && !after.options.allowAnonymous };
  const same = (a: readonly string[] | undefined, b: readonly string[] | undefined) => JSON.stringify(a) === JSON.stringify(b);
  for (const username of after.hashes.keys()) {
    if (!before.hashes.has(username)) change.added.push(username);
  }
  for (const [username, was] of before.hashes) {
    const now = after.hashes.get(username);
    if (!now) {
      change.removed.push(username);
      change.disconnect.push(username);
      continue;
    }
    const password = was.hash !== now.hash;
    const subscribe = !same(before.subscribeRules.get(username), after.subscribeRules.get(username));
    if (password || subscribe || !same(before.publishRules.get(username), after.publishRules.get(username))) change.changed.push(username);
    if (password || subscribe) change.disconnect.push(username);
  }
  return change;
}

export function createBrokerAccess(options: BrokerAccessOptions): BrokerAccess {
  let building = buildState(options);
  // a failure shows in ready(); this only keeps it from being reported as unhandled twice
  building.catch(() => undefined);
  let current: AccessState | undefined;
  void building.then((s) => {
    current ??= s;
  });
  const state = async (): Promise<AccessState> => current ?? (await building);
  let rules: AccessRules = rulesFor(options);
  const rulesOf = (kind: 'publish' | 'subscribe', username: string | null): readonly string[] => {
    if (username === null) return kind === 'publish' && rules.options.allowAnonymous ? rules.options.anonymousPublish : [];
    return (kind === 'publish' ? rules.publishRules : rules.subscribeRules).get(username) ?? [];
  };
  return {
    async ready() {
      await state();
    },
    async authenticate(username, password) {
      const s = await state();
      if (username === undefined || username === '') {
        return s.options.allowAnonymous
          ? { ok: true, username: null }
          : { ok: false, code: NOT_AUTHORIZED, why: 'anonymous clients are not allowed' };
      }
      const hash = s.hashes.get(username)?.hash;
      const given = password?.toString('utf8') ?? '';
      if (hash === undefined) {
        // Same cost as a real check, so a guesser cannot tell names that exist.
        await verifyPassword(given, DUMMY_HASH);
        return { ok: false, code: BAD_USERNAME_OR_PASSWORD, why: 'unknown username' };
      }
      const ok = await verifyPassword(given, hash);
      // The users changed while the hash ran: the login must pass the rules in force now, or a
      // removed user's client could slip in after its sessions were closed.
      if (ok && current && current !== s && current.hashes.get(username)?.hash !== hash) {
        return { ok: false, code: BAD_USERNAME_OR_PASSWORD, why: 'user changed during login' };
      }
      return ok ? { ok: true, username } : { ok: false, code: BAD_USERNAME_OR_PASSWORD, why: 'wrong password' };
    },
    async replace(next) {
      const before = await state();
      const pending = buildState(next, before);
      building = pending;
      const after = await pending;
      // two replaces racing: the one started last wins
      if (building !== pending) return { added: [], removed: [], changed: [], disconnect: [], disconnectAnonymous: false };
      const from = current ?? before;
      current = after;
      rules = after;
      return compareStates(from, after);
    },
    mayPublish(username, topic) {
      if (topic.startsWith('$')) return false;
      return rulesOf('publish', username).some((rule) => topicMatches(rule, topic));
    },
    maySubscribe(username, filter) {
      return rulesOf('subscribe', username).some((rule) => filterCovers(rule, filter));
    },
  };
}

/** A valid hash of a random password, checked against when the username is unknown. */
const DUMMY_HASH = 'scrypt$16384$8$1$5rYfHnKo7oB0cxQ2H0sRfA==$Cq2nMXqDTp4FMAkuE3K9bWZbxy0lgtwPMaWwxdE6Eew=';
