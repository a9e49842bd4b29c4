/**
 * Wires live configuration into a running gateway: the versions database (config.db in the data
 * folder), the `config.applied` / `config.rolled-back` events (through the store, so they sync
 * upstream), the site file rewritten atomically when a config comes in over the API or a rollback
 * (so a restart or a SIGHUP keeps it), the guard that restores the previous version when a change
 * takes devices down, the admin API routes, and the central config source (`configSource:`), whose
 * texts take the same guarded path as an API apply.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { checkSiteConfig, parseSiteConfig } from '../config/loader.js';
import type { SiteConfig } from '../config/types.js';
import type { ConfigDiff } from '../config/live/diff.js';
import { maskSecrets, restoreSecrets } from '../config/live/mask-secrets.js';
import { redactedConfig } from '../config/live/redact.js';
import { type ApplyOutcome, type ConfigApplier, type ConfigSource, createLiveConfig, type LiveConfig } from '../config/live/live-config.js';
import type { DeviceStatus } from '../core/device-status.js';
import { formatProblem, GatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type ConfigApi, configRoutes } from '../dashboard/routes/config.js';
import { writeFileAtomic } from '../gateway/live-config/atomic-write.js';
import { type ConfigVersions, hashConfigText, openConfigVersions } from '../gateway/live-config/versions-db.js';
import { createConfigGuard } from './config-guard.js';
import { type CentralStatus, type ConfigSource as CentralSource, type ConfigSourceOptions, createConfigSource } from './config-source.js';

/** How long after an apply a device going down undoes it, unless the apply says otherwise. */
export const DEFAULT_GUARD_MS = 60_000;

export interface LiveConfigHandle {
  live: LiveConfig;
  versions: ConfigVersions;
  mount: { path: string; app: Hono };
  /** Re-reads the site file the gateway was started with and applies it (SIGHUP), guarded. */
  reloadFromFile(source: ConfigSource, who?: string): Promise<ApplyOutcome>;
  /** GET /api/v1/health's `config` section: the running version and the guard in progress */
  health(): {
    version: number | null;
    hash: string | null;
    appliedAt: number | null;
    guard: { version: number; restores: number; until: number } | null;
    /** the central config source: last poll, ETag, outcome, error (null: no `configSource:`) */
    central: CentralStatus | null;
  };
  /** the central config source's poller (it polls only while the running config has `configSource:`) */
  central: CentralSource;
  close(): void;
}

export interface LiveConfigStartOptions {
  config: SiteConfig;
  applier: ConfigApplier;
  /** every device's comm state now (the guard's "up before") */
  deviceStatus(): DeviceStatus[];
  /** push targets reachable now (the guard's "reachable before") */
  reachableTargets?(): string[];
  /** whether a push target is failing now; undefined when no such target runs */
  targetFailing?(id: string): boolean | undefined;
  appendEvent(type: string, data: Record<string, unknown>): void;
  logger: Logger;
  guardCheckEveryMs?: number;
  /** the central source's timing and limits (tests) */
  central?: Pick<ConfigSourceOptions, 'timeoutMs' | 'maxBytes' | 'random' | 'postStatus'>;
}

export function startLiveConfig(options: LiveConfigStartOptions): LiveConfigHandle {
  const { config, applier, appendEvent, logger } = options;
  const file = config.file;
  const versions = openConfigVersions(join(config.gateway.dataDir, 'config.db'));
  // The file the gateway starts with is a version too, unless it is the one recorded last.
  const startText = readText(file);
  if (startText !== undefined && versions.latest()?.hash !== hashConfigText(startText)) {
    const n = versions.record({ text: startText, who: 'gateway', source: 'file', diff: null, summary: [] });
    appendEvent('config.applied', { version: n, hash: hashConfigText(startText), who: 'gateway', source: 'file', changes: [] });
  }
  const live = createLiveConfig({
    initial: config,
    parse: (text) => parseSiteConfig(text, file),
    applier: withConfigSource(applier, (section) => central.configure(section)),
    async beforeApply(text, source) {
      // A config sent over the API or by the central source becomes the site file, or the next restart would undo it.
      if ((source === 'api' || source === 'rollback' || source === 'central') && readText(file) !== text) await writeFileAtomic(file, text);
    },
    onApplied({ text, diff, summary, who, source, note }) {
      const n = versions.record({ text, who, source, diff, summary });
      const data = { version: n, hash: hashConfigText(text), who, source, changes: summary, ...note };
      appendEvent(source === 'rollback' ? 'config.rolled-back' : 'config.applied', data);
      return n;
    },
    logger,
  });

  const rollback = async (to: number, who: string, reason?: string): Promise<ApplyOutcome> => {
    const text = versions.text(to);
    if (text === undefined) throw new GatewayError(`no config version ${to}`);
    guard.stop();
    return live.apply(text, who, 'rollback', { to, ...(reason && { reason }) });
  };
  const guard = createConfigGuard({
    deviceState: (id) => options.deviceStatus().find((s) => s.deviceId === id)?.state,
    configured: (id) => live.current().devices.some((d) => d.id === id),
    ...(options.targetFailing && { targetFailing: options.targetFailing }),
    rollback: async (to, reason) => {
      const undone = watched;
      const outcome = await rollback(to, 'guard', reason);
      if (outcome.status !== 'applied') logger.error('automatic rollback not applied', { to, outcome: outcome.status });
      // the central source hears that its version was undone, and why
      else if (undone?.source === 'central') central.noteRolledBack(undone.version, outcome.version, reason);
    },
    logger,
    ...(options.guardCheckEveryMs !== undefined && { checkEveryMs: options.guardCheckEveryMs }),
  });

  /** the apply the guard watches now, and where it came from */
  let watched: { version: number; source: ConfigSource } | undefined;
  /** Applies, then watches the devices that were up for `guardMs` (0: not guarded). */
  const guardedApply = async (text: string, who: string, source: ConfigSource, guardMs: number): Promise<ApplyOutcome> => {
    const upBefore = options.deviceStatus().flatMap((s) => (s.state === 'up' || s.state === 'degraded' ? [s.deviceId] : []));
    const reachableBefore = options.reachableTargets?.() ?? [];
    const previous = versions.latest()?.n;
    const outcome = await live.apply(text, who, source);
    if (outcome.status === 'applied' && guardMs > 0 && previous !== undefined && outcome.version !== undefined) {
      guard.watch({ upBefore, reachableBefore, applied: outcome.version, previous, guardMs });
      watched = { version: outcome.version, source };
    }
    return outcome;
  };

  const central = createConfigSource({
    gatewayId: config.gateway.id,
    apply: (text, guardMs) => guardedApply(text, 'central', 'central', guardMs),
    report: (outcome) => appendEvent('config.central', { ...outcome }),
    stateFile: join(config.gateway.dataDir, 'config-central.json'),
    logger,
    ...options.central,
  });
  central.configure(config.configSource);

  /**
   * A text from the API with each `[secret]` (from GET /source) put back from the running version's
   * text, so the restored text is what is checked, written and recorded, never the marker.
   */
  const unmask = (text: string) => {
    const running = versions.latest();
    return restoreSecrets(text, running ? versions.text(running.n) : undefined, file);
  };

  const api: ConfigApi = {
    current() {
      const v = versions.latest();
      const g = guard.active();
      return {
        version: v ? { n: v.n, hash: v.hash, at: v.at } : null,
        guard: g ? { version: g.applied, restores: g.previous, until: g.until } : null,
        config: redactedConfig(live.current()),
        central: central.status(),
      };
    },
    source() {
      const running = versions.latest();
      const text = running ? versions.text(running.n) : undefined;
      if (!running || text === undefined) return null;
      return { version: running.n, ...maskSecrets(text) };
    },
    check(text) {
      const restored = unmask(text);
      return restored.ok ? live.check(restored.text) : { ok: false, problems: restored.problems };
    },
    apply(text, who, opts) {
      const restored = unmask(text);
      if (!restored.ok) return Promise.resolve({ status: 'invalid', problems: restored.problems });
      return guardedApply(restored.text, who, 'api', opts.guardMs ?? DEFAULT_GUARD_MS);
    },
    rollback: (n, who) => (versions.get(n) ? rollback(n, who) : Promise.resolve(undefined)),
    versions: () => versions.list(),
    version: (n) => versions.get(n),
  };
  return {
    live,
    versions,
    mount: { path: '/api/v1/config', app: configRoutes(api) as unknown as Hono },
    async reloadFromFile(source, who = 'signal') {
      const text = readText(file);
      if (text === undefined) {
        const problems = checkSiteConfig(file).problems;
        logger.warn('config not reloaded', { problems: problems.map(formatProblem).join('; ') });
        return { status: 'invalid', problems };
      }
      return guardedApply(text, who, source, DEFAULT_GUARD_MS);
    },
    health() {
      const v = versions.latest();
      const g = guard.active();
      return {
        version: v?.n ?? null,
        hash: v?.hash ?? null,
        appliedAt: v?.at ?? null,
        guard: g ? { version: g.applied, restores: g.previous, until: g.until } : null,
        central: central.status(),
      };
    },
    central,
    close() {
      central.stop();
      guard.stop();
      versions.close();
    },
  };
}

/**
 * The applier, taking `configSource:` changes itself: the poller restarts with the new url, token
 * or interval (or stops), and the applier underneath never sees them (it would refuse them).
 */
function withConfigSource(inner: ConfigApplier, configure: (section: SiteConfig['configSource']) => void): ConfigApplier {
  const own = (path: string) => path === 'configSource' || path.startsWith('configSource.');
  const rest = (diff: ConfigDiff): ConfigDiff => ({ ...diff, settings: diff.settings.filter((p) => !own(p)) });
  return {
    refusals: (diff, next) => inner.refusals(rest(diff), next),
    async apply(diff, next) {
      await inner.apply(rest(diff), next);
      if (diff.settings.some(own)) configure(next.configSource);
    },
  };
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
