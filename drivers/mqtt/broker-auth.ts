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

export function createBrokerAccess(options: BrokerAccessOptions): BrokerAccess {
  // A `${ENV}` password is hashed once at load, so checking it costs one scrypt like every other
  // check: compared in the clear it answered in ~1 ms against ~40 ms, which told a guesser which
  // usernames exist.
  const hashes = Promise.all(
    options.users.map(async (u) => [u.username, 'hash' in u.password ? u.password.hash : await hashPassword(u.password.secret.reveal())] as const),
  ).then((pairs) => new Map(pairs));
  // a failure shows in ready(); this only keeps it from being reported as unhandled twice
  hashes.catch(() => undefined);
  const publishRules = new Map(options.users.map((u) => [u.username, expand(u.publish, u.username)]));
  const subscribeRules = new Map(options.users.map((u) => [u.username, expand(u.subscribe, u.username)]));
  const rulesOf = (kind: 'publish' | 'subscribe', username: string | null): readonly string[] => {
    if (username === null) return kind === 'publish' && options.allowAnonymous ? options.anonymousPublish : [];
    return (kind === 'publish' ? publishRules : subscribeRules).get(username) ?? [];
  };
  return {
    async ready() {
      await hashes;
    },
    async authenticate(username, password) {
      if (username === undefined || username === '') {
        return options.allowAnonymous
          ? { ok: true, username: null }
          : { ok: false, code: NOT_AUTHORIZED, why: 'anonymous clients are not allowed' };
      }
      const hash = (await hashes).get(username);
      const given = password?.toString('utf8') ?? '';
      if (hash === undefined) {
        // Same cost as a real check, so a guesser cannot tell names that exist.
        await verifyPassword(given, DUMMY_HASH);
        return { ok: false, code: BAD_USERNAME_OR_PASSWORD, why: 'unknown username' };
      }
      const ok = await verifyPassword(given, hash);
      return ok ? { ok: true, username } : { ok: false, code: BAD_USERNAME_OR_PASSWORD, why: 'wrong password' };
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
