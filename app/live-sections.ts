/**
 * The sections a running gateway changes live besides devices, alarms, analytics and sync
 * targets: incident rules and correlation, action rules, the embedded broker's users (and its
 * anonymous rules), and the login, body-size, live-stream and host settings. Each is handed to
 * the component that runs it (engine.replaceRules, broker users, auth policies, the HTTP
 * settings the web app reads per request). What of these sections cannot change live is refused
 * by name; settings only a restart applies are in config/live/diff.ts RESTART_SETTINGS.
 */
import type { ConfigDiff, ListName } from '../config/live/diff.js';
import { isEmptyList } from '../config/live/diff.js';
import type { SiteConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import { createHostAllowlist, type HostAllowlistOptions } from '../dashboard/host-allowlist.js';
import type { ActionEngine } from '../gateway/actions/engine.js';
import type { AuthServiceHandle } from '../gateway/auth/auth-service.js';
import type { SessionPolicy } from '../gateway/auth/session-store.js';
import type { ThrottlePolicy } from '../gateway/auth/login-throttle.js';
import type { IncidentEngine } from '../gateway/incidents/engine.js';

/** The lists applied here: the live applier leaves them to applyLiveSections. */
export const LIVE_SECTION_LISTS: readonly ListName[] = ['incidents', 'actions', 'brokerUsers'];

/** The settings sections whose changed paths this file decides on (applies, or refuses by name). */
const OWN_SECTIONS = ['auth', 'http', 'correlation', 'mqttBroker'] as const;

/** Settings applied live, each by a component reading it per use (a getter, not a captured number). */
export const LIVE_SECTION_SETTINGS: ReadonlySet<string> = new Set([
  'auth.sessionIdleMinutes',
  'auth.sessionMaxHours',
  'auth.maxFailedLogins',
  'auth.lockoutMinutes',
  'http.maxBodyKB',
  'http.maxLiveStreams',
  'http.allowedHosts',
  // absent before or after: the section as a whole
  'correlation',
  'correlation.symptoms',
  'correlation.holdNotifications',
  'mqttBroker.allowAnonymous',
  'mqttBroker.anonymousPublish',
]);

/** Whether a changed settings path is this file's to apply or refuse (the live applier skips it). */
export function ownsSetting(path: string): boolean {
  return OWN_SECTIONS.some((s) => path === s || path.startsWith(`${s}.`));
}

export interface LiveSectionDeps {
  incidents: Pick<IncidentEngine, 'replaceRules'>;
  actions: Pick<ActionEngine, 'replaceRules'>;
  /** hands the new site to the MQTT runtime's replaceBrokerUsers (through its driver module); absent when it cannot */
  brokerUsers?: (next: SiteConfig) => Promise<unknown>;
  auth: Pick<AuthServiceHandle, 'setPolicies'>;
  http: LiveHttpSettings;
  logger: Logger;
}

/**
 * What of these sections cannot change live, one line each (empty: all of it can). Settings of
 * these sections that are neither live nor in RESTART_SETTINGS (a key added later) are named here,
 * so nothing is taken and silently ignored.
 */
export function liveSectionRefusals(diff: ConfigDiff, next: SiteConfig, deps?: Pick<LiveSectionDeps, 'brokerUsers'>): string[] {
  const out = diff.settings.filter((p) => ownsSetting(p) && !LIVE_SECTION_SETTINGS.has(p)).map((p) => `${p}: needs a restart`);
  const brokerChanged = !isEmptyList(diff.lists.brokerUsers) || diff.settings.some((p) => p.startsWith('mqttBroker.'));
  if (brokerChanged && deps && !deps.brokerUsers && next.mqttBroker?.enabled) out.push('mqttBroker users: the broker cannot take them live here; needs a restart');
  return out;
}

/** Applies these sections of `diff` (refusals already checked). The broker first: the one step that waits (hashing `${ENV}` passwords). */
export async function applyLiveSections(diff: ConfigDiff, next: SiteConfig, deps: LiveSectionDeps): Promise<string[]> {
  const done: string[] = [];
  const changed = (prefix: string) => diff.settings.some((p) => p === prefix || p.startsWith(`${prefix}.`));
  if (!isEmptyList(diff.lists.brokerUsers) || changed('mqttBroker.allowAnonymous') || changed('mqttBroker.anonymousPublish')) {
    if (deps.brokerUsers && next.mqttBroker?.enabled) {
      await deps.brokerUsers(next);
      done.push('broker users');
    }
  }
  if (!isEmptyList(diff.lists.incidents) || changed('correlation')) {
    deps.incidents.replaceRules(next.incidents ?? [], next.correlation);
    done.push('incidents');
  }
  if (!isEmptyList(diff.lists.actions)) {
    deps.actions.replaceRules(next.actions?.rules ?? []);
    done.push('actions');
  }
  if (changed('auth')) {
    deps.auth.setPolicies(authPolicies(next.auth));
    done.push('auth');
  }
  if (changed('http')) {
    deps.http.replace(next.http);
    done.push('http');
  }
  if (done.length > 0) deps.logger.info('config sections applied live', { sections: done.join(', ') });
  return done;
}

/** `auth:` as the auth service takes it (start-up and live changes alike). */
export function authPolicies(auth: SiteConfig['auth']): { sessions: SessionPolicy; throttle: Pick<ThrottlePolicy, 'maxFailures' | 'maxDelayMs'> } {
  return {
    sessions: { idleMs: auth.sessionIdleMinutes * 60_000, maxAgeMs: auth.sessionMaxHours * 3_600_000 },
    throttle: { maxFailures: auth.maxFailedLogins, maxDelayMs: auth.lockoutMinutes * 60_000 },
  };
}

/** The `http:` settings the web app reads on each request or stream, changeable live. */
export interface LiveHttpSettings {
  maxBodyBytes(): number;
  maxLiveStreams(): number;
  allowedHost(host: string): boolean;
  /** the listener (`host`, `port`, `tls`) needs a restart and is not read from here */
  replace(http: SiteConfig['http']): void;
}

export function createLiveHttpSettings(http: SiteConfig['http'], allowlist: Omit<HostAllowlistOptions, 'allowedHosts' | 'listenHost'> = {}): LiveHttpSettings {
  let current = http;
  // the listen address the allowlist knows stays the one the listener was started on
  const listenHost = http.host;
  let allowed = createHostAllowlist({ ...allowlist, allowedHosts: http.allowedHosts, listenHost });
  return {
    maxBodyBytes: () => current.maxBodyKB * 1024,
    maxLiveStreams: () => current.maxLiveStreams,
    allowedHost: (host) => allowed(host),
    replace(next) {
      if (JSON.stringify(next.allowedHosts) !== JSON.stringify(current.allowedHosts)) {
        allowed = createHostAllowlist({ ...allowlist, allowedHosts: next.allowedHosts, listenHost });
      }
      current = next;
    },
  };
}
