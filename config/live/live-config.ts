/**
 * The running site config and the one way to change it: validate the new text completely, work
 * out the difference, refuse what cannot be applied live (naming it), and only then apply. A
 * config with any problem changes nothing. Applies run one at a time, so a SIGHUP arriving during
 * an API apply waits for it instead of diffing against a config that is half replaced.
 */
import type { ConfigProblem } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { CheckResult } from '../loader.js';
import type { SiteConfig } from '../types.js';
import { type ConfigDiff, describeDiff, diffSiteConfigs, isEmptyDiff } from './diff.js';

export type ConfigSource = 'file' | 'api' | 'sighup' | 'rollback' | 'central';

/** How the refusal starts when beforeApply failed: a passing fault (a retry may succeed), not the config's. */
export const SITE_FILE_UNWRITABLE = 'the site file cannot be written';

/** What applies a diff to the running gateway; it says first which parts of a diff it cannot take. */
export interface ConfigApplier {
  /** what of this diff cannot be applied live, one line each naming it (empty: all of it can) */
  refusals(diff: ConfigDiff, next: SiteConfig): string[];
  apply(diff: ConfigDiff, next: SiteConfig): Promise<void>;
}

/** Called once an apply took effect (versions, events); returns the version number it recorded. */
export type AppliedListener = (applied: AppliedConfig) => number | undefined;

export interface AppliedConfig {
  config: SiteConfig;
  text: string;
  diff: ConfigDiff;
  /** describeDiff's lines */
  summary: string[];
  who: string;
  source: ConfigSource;
  /** what the caller passed along with the apply (a rollback's target and reason) */
  note?: Record<string, unknown>;
}

export type CheckOutcome =
  | { ok: false; problems: ConfigProblem[] }
  | { ok: true; config: SiteConfig; diff: ConfigDiff; summary: string[]; refusals: string[] };

export type ApplyOutcome =
  | { status: 'invalid'; problems: ConfigProblem[] }
  | { status: 'refused'; diff: ConfigDiff; summary: string[]; refusals: string[] }
  | { status: 'unchanged'; diff: ConfigDiff; summary: string[] }
  | { status: 'applied'; diff: ConfigDiff; summary: string[]; version?: number };

export interface LiveConfigOptions {
  initial: SiteConfig;
  /** checks config text as if it were the site file (relative paths from its folder) */
  parse(text: string): CheckResult;
  applier: ConfigApplier;
  /** before the running config changes: e.g. write the text to the site file; a throw changes nothing */
  beforeApply?(text: string, source: ConfigSource): Promise<void>;
  onApplied?: AppliedListener;
  logger: Logger;
}

export interface LiveConfig {
  current(): SiteConfig;
  /** Validates and diffs against the running config; changes nothing (the dry run). */
  check(text: string): CheckOutcome;
  apply(text: string, who: string, source: ConfigSource, note?: Record<string, unknown>): Promise<ApplyOutcome>;
}

export function createLiveConfig(options: LiveConfigOptions): LiveConfig {
  let running = options.initial;
  let queue: Promise<unknown> = Promise.resolve();

  const check = (text: string): CheckOutcome => {
    const { config, problems } = options.parse(text);
    if (!config) return { ok: false, problems };
    const diff = diffSiteConfigs(running, config);
    const refusals = [...diff.restartRequired.map((path) => `${path}: needs a restart`), ...options.applier.refusals(diff, config)];
    return { ok: true, config, diff, summary: describeDiff(diff), refusals };
  };

  const applyNow = async (text: string, who: string, source: ConfigSource, note?: Record<string, unknown>): Promise<ApplyOutcome> => {
    const checked = check(text);
    if (!checked.ok) {
      options.logger.warn('config not applied: it has problems', { source, who, problems: checked.problems.length });
      return { status: 'invalid', problems: checked.problems };
    }
    const { config, diff, summary, refusals } = checked;
    if (refusals.length > 0) {
      options.logger.warn('config not applied: parts of it cannot change live', { source, who, refusals: refusals.join('; ') });
      return { status: 'refused', diff, summary, refusals };
    }
    if (isEmptyDiff(diff)) return { status: 'unchanged', diff, summary };
    try {
      await options.beforeApply?.(text, source);
    } catch (err) {
      // e.g. the site file is not writable by the gateway's user: nothing has changed yet
      const refusal = `${SITE_FILE_UNWRITABLE} (${(err as NodeJS.ErrnoException).code ?? String(err)}); nothing changed`;
      options.logger.warn('config not applied', { source, who, refusal });
      return { status: 'refused', diff, summary, refusals: [refusal] };
    }
    await options.applier.apply(diff, config);
    running = config;
    options.logger.info('config applied', { source, who, changes: summary.join('; ') });
    const version = options.onApplied?.({ config, text, diff, summary, who, source, ...(note && { note }) });
    return { status: 'applied', diff, summary, ...(version !== undefined && { version }) };
  };

  return {
    current: () => running,
    check,
    apply(text, who, source, note) {
      const next = queue.then(() => applyNow(text, who, source, note));
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
