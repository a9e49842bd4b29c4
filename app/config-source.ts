/**
 * The central config source (`configSource:`): polls a URL for the whole site file, with
 * If-None-Match so an unchanged text costs a 304, and hands a new text to the same apply as the
 * API (validate → diff → apply → guard). Every outcome of a new text (applied, unchanged, invalid,
 * refused, and later rolled back by the guard) is reported: a `config.central` event (synced
 * upstream), the status the API and health show, and a best-effort POST to `<url>/status`.
 *
 * A text already handled (same SHA-256) is not applied again, even when the server sends no ETag
 * or the gateway restarted: a central version the guard rolled back, or one that was refused,
 * stays out until the central text changes. The last ETag, hash and outcome are kept in a small
 * file in the data folder for that reason.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type BackoffPolicy, backoffDelay } from '../core/backoff.js';
import { formatProblem } from '../core/errors.js';
import type { ConfigProblem } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { publicUrl } from '../core/redact-url.js';
import type { ConfigSourceSection } from '../config/live/config-source-schema.js';
import { SITE_FILE_UNWRITABLE } from '../config/live/live-config.js';
import { MAX_CONFIG_BYTES } from '../dashboard/routes/config.js';
import { writeFileAtomic } from '../gateway/live-config/atomic-write.js';
import { CentralFetchError, type CentralFetchResult, fetchCentralConfig } from '../gateway/live-config/central-fetch.js';
import { hashConfigText } from '../gateway/live-config/versions-db.js';

/** The API's site-file limit: a central text is no bigger. */
export const CENTRAL_MAX_BYTES = MAX_CONFIG_BYTES;
/** The longest wait between polls after failures, whatever the interval. */
const MAX_BACKOFF_MS = 15 * 60_000;
const DEFAULT_TIMEOUT_MS = 30_000;
/** The longest the first poll after start waits. */
const FIRST_POLL_MAX_MS = 10_000;

/** What the apply made of a central text (config/live/live-config.ts's ApplyOutcome, reduced). */
export type CentralApplyOutcome =
  | { status: 'invalid'; problems: ConfigProblem[] }
  | { status: 'refused'; summary: string[]; refusals: string[] }
  | { status: 'unchanged' }
  | { status: 'applied'; summary: string[]; version?: number };

export type CentralResult = 'applied' | 'unchanged' | 'invalid' | 'refused' | 'rolled-back';

/** The outcome of one central text: the `config.central` event's data, and the status's `outcome`. */
export interface CentralOutcome {
  result: CentralResult;
  /** ms epoch */
  at: number;
  /** SHA-256 of the text, hex */
  hash: string;
  etag: string | null;
  /** the version it became (applied), or the version that was undone (rolled-back) */
  version?: number;
  /** rolled-back: the version restored */
  restored?: number;
  changes?: string[];
  /** invalid: `file:line path: message` each */
  problems?: string[];
  refusals?: string[];
  /** rolled-back: why (the guard's reason) */
  reason?: string;
}

export interface CentralStatus {
  /** `scheme://host:port` of the source (its path may be a secret of its own) */
  url: string;
  intervalS: number;
  /** ms epoch of the last poll that ended (answered, 304, or failed) */
  lastPollAt: number | null;
  /** ms epoch of the last poll the source answered (200 or 304) */
  lastSuccessAt: number | null;
  /** the ETag of the last text received */
  etag: string | null;
  /** the last text received (SHA-256) and what became of it */
  outcome: CentralOutcome | null;
  /** the failure of the last poll, and how many in a row; null once a poll succeeds */
  error: { message: string; at: number; failures: number } | null;
  /** ms epoch of the next poll */
  nextPollAt: number | null;
  /** the last POST of the outcome to `<url>/status`: HTTP status or why it failed */
  statusPost: { at: number; result: string } | null;
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const REAL_TIMERS: Timers = {
  set(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ConfigSourceOptions {
  gatewayId: string;
  /** the guarded apply of a central text (app/start-live-config.ts) */
  apply(text: string, guardMs: number): Promise<CentralApplyOutcome>;
  /** appends the `config.central` event */
  report(outcome: CentralOutcome): void;
  /** where the last ETag, hash and outcome survive a restart (a JSON file in the data folder) */
  stateFile?: string;
  logger: Logger;
  /** wall clock for the status (ms epoch) */
  now?: () => number;
  timers?: Timers;
  random?: () => number;
  timeoutMs?: number;
  maxBytes?: number;
  /** false: no POST to `<url>/status` */
  postStatus?: boolean;
}

export interface ConfigSource {
  /** Starts, changes (a new url, token or interval) or stops (undefined) the polling. */
  configure(section: ConfigSourceSection | undefined): void;
  /** null while no source is configured */
  status(): CentralStatus | null;
  /** Polls now (the next scheduled poll moves to after this one); resolves once it is handled. */
  pollNow(): Promise<void>;
  /** The guard undid `version`, which came from the central source: report it. */
  noteRolledBack(version: number, restored: number | undefined, reason: string): void;
  stop(): void;
}

interface Kept {
  etag: string | null;
  hash: string | null;
  outcome: CentralOutcome | null;
  /** the source the ETag belongs to (a new URL starts without one) */
  url: string | null;
}

export function createConfigSource(options: ConfigSourceOptions): ConfigSource {
  const now = options.now ?? Date.now;
  const timers = options.timers ?? REAL_TIMERS;
  const random = options.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? CENTRAL_MAX_BYTES;
  const log = options.logger;

  let section: ConfigSourceSection | undefined;
  const kept: Kept = readKept(options.stateFile);
  let lastPollAt: number | null = null;
  let lastSuccessAt: number | null = null;
  let error: CentralStatus['error'] = null;
  let failures = 0;
  let nextPollAt: number | null = null;
  let statusPost: CentralStatus['statusPost'] = null;
  let timer: unknown;
  let inflight: Promise<void> | undefined;
  let abort: AbortController | undefined;
  /** bumped by configure/stop: a poll that started under another generation schedules nothing */
  let generation = 0;

  const schedule = (ms: number) => {
    if (timer !== undefined) timers.clear(timer);
    timer = undefined;
    if (!section) return;
    nextPollAt = now() + ms;
    timer = timers.set(() => {
      timer = undefined;
      void pollNow();
    }, ms);
  };

  // one write at a time: two would share the temporary file
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    const file = options.stateFile;
    if (!file) return;
    const text = `${JSON.stringify(kept)}\n`;
    saving = saving
      .then(() => writeFileAtomic(file, text))
      .catch((err: unknown) => log.warn('central config state not saved', { error: (err as NodeJS.ErrnoException).code ?? String(err) }));
  };

  /** Best effort, once: the event is the copy that is sure to arrive. */
  const postOutcome = async (source: ConfigSourceSection, outcome: CentralOutcome) => {
    if (options.postStatus === false) return;
    try {
      const res = await fetch(statusUrl(source.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${source.token.reveal()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ gatewayId: options.gatewayId, ...outcome }),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      await res.body?.cancel();
      statusPost = { at: now(), result: `HTTP ${res.status}` };
    } catch (err) {
      const e = err as { cause?: { code?: string }; name?: string };
      statusPost = { at: now(), result: e.cause?.code ?? e.name ?? 'failed' };
    }
  };

  const settle = (source: ConfigSourceSection, outcome: CentralOutcome) => {
    kept.outcome = outcome;
    save();
    options.report(outcome);
    void postOutcome(source, outcome);
  };

  const handleText = async (source: ConfigSourceSection, got: Extract<CentralFetchResult, { kind: 'text' }>) => {
    const hash = hashConfigText(got.text);
    if (hash === kept.hash) {
      // handled before (maybe refused or rolled back): it stays as it was until the text changes
      if (kept.etag !== got.etag || kept.url !== source.url) {
        Object.assign(kept, { etag: got.etag, url: source.url });
        save();
      }
      return;
    }
    // a throw here (the apply failed midway) keeps the old ETag, so the next poll fetches it again
    const applied = await options.apply(got.text, source.guardS * 1000);
    const unwritable = applied.status === 'refused' ? applied.refusals.find((r) => r.startsWith(SITE_FILE_UNWRITABLE)) : undefined;
    // the same for a site file that could not be written: not the text's fault, so a failure (backoff), not an outcome
    if (unwritable) throw new Error(unwritable);
    Object.assign(kept, { hash, etag: got.etag, url: source.url });
    const base = { at: now(), hash, etag: got.etag };
    switch (applied.status) {
      case 'applied':
        settle(source, { result: 'applied', ...base, ...(applied.version !== undefined && { version: applied.version }), changes: applied.summary });
        break;
      case 'unchanged':
        settle(source, { result: 'unchanged', ...base });
        break;
      case 'invalid':
        // `site.yaml:12 ...`: where the file lives on this machine means nothing upstream
        settle(source, { result: 'invalid', ...base, problems: applied.problems.map((p) => formatProblem({ ...p, file: basename(p.file) })) });
        break;
      case 'refused':
        settle(source, { result: 'refused', ...base, changes: applied.summary, refusals: applied.refusals });
        break;
    }
  };

  const pollOnce = async () => {
    const source = section;
    if (!source) return;
    const gen = generation;
    abort = new AbortController();
    let delay: number;
    try {
      const got = await fetchCentralConfig({
        url: source.url,
        token: source.token,
        etag: kept.url === source.url ? kept.etag : null,
        timeoutMs,
        maxBytes,
        signal: abort.signal,
      });
      if (gen !== generation) return;
      if (got.kind === 'text') await handleText(source, got);
      if (failures > 0) log.info('central config source answers again', { url: publicUrl(source.url), failures });
      failures = 0;
      error = null;
      lastSuccessAt = now();
      // up to a tenth later, so a fleet restarted together does not keep polling in step
      delay = Math.round(source.intervalS * 1000 * (1 + random() * 0.1));
    } catch (err) {
      if (gen !== generation) return;
      failures++;
      const message = err instanceof CentralFetchError ? err.message : `apply failed: ${(err as Error).message ?? String(err)}`;
      if (failures === 1) log.warn('central config source failed; retrying with backoff', { url: publicUrl(source.url), error: message });
      error = { message, at: now(), failures };
      const intervalMs = source.intervalS * 1000;
      const policy: BackoffPolicy = { initialMs: intervalMs, maxMs: Math.max(intervalMs, MAX_BACKOFF_MS) };
      delay = backoffDelay(policy, failures, random);
    } finally {
      abort = undefined;
    }
    lastPollAt = now();
    if (gen === generation) schedule(delay);
  };

  function pollNow(): Promise<void> {
    if (!section) return Promise.resolve();
    if (!inflight) {
      if (timer !== undefined) timers.clear(timer);
      timer = undefined;
      nextPollAt = null;
      inflight = pollOnce().finally(() => {
        inflight = undefined;
      });
    }
    return inflight;
  }

  const halt = () => {
    generation++;
    if (timer !== undefined) timers.clear(timer);
    timer = undefined;
    nextPollAt = null;
    abort?.abort();
  };

  return {
    configure(next) {
      const same = section && next && section.url === next.url && section.token.reveal() === next.token.reveal() && section.intervalS === next.intervalS;
      if (same) {
        section = next;
        return;
      }
      halt();
      const wasConfigured = section !== undefined;
      section = next;
      failures = 0;
      error = null;
      if (!next) {
        if (wasConfigured) log.info('central config source removed: no more polling');
        return;
      }
      log.info('central config source', { url: publicUrl(next.url), intervalS: next.intervalS });
      // At start, the first poll waits an interval (10 s at most): the devices are up by then, so
      // the guard knows what to watch. A source changed live is polled at once; a poll in flight
      // (the one whose text changed the source) schedules nothing, so poll anew after it.
      const first = wasConfigured ? 0 : Math.min(next.intervalS * 1000, FIRST_POLL_MAX_MS);
      if (inflight) {
        const again = () => schedule(first);
        inflight.then(again, again);
      } else schedule(first);
    },
    status() {
      if (!section) return null;
      return {
        url: publicUrl(section.url),
        intervalS: section.intervalS,
        lastPollAt,
        lastSuccessAt,
        etag: kept.url === section.url ? kept.etag : null,
        outcome: kept.outcome,
        error,
        nextPollAt,
        statusPost,
      };
    },
    pollNow,
    noteRolledBack(version, restored, reason) {
      const last = kept.outcome;
      if (last?.result !== 'applied' || last.version !== version || !section) return;
      settle(section, { result: 'rolled-back', at: now(), hash: last.hash, etag: last.etag, version, ...(restored !== undefined && { restored }), reason });
    },
    stop() {
      halt();
      section = undefined;
    },
  };
}

/** `<url>/status`, the query kept (it may name the gateway). */
export function statusUrl(url: string): string {
  const u = new URL(url);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/status`;
  return u.toString();
}

function readKept(file: string | undefined): Kept {
  const empty: Kept = { etag: null, hash: null, outcome: null, url: null };
  if (!file) return empty;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<Kept>;
    return {
      etag: typeof v.etag === 'string' ? v.etag : null,
      hash: typeof v.hash === 'string' ? v.hash : null,
      outcome: v.outcome && typeof v.outcome === 'object' ? v.outcome : null,
      url: typeof v.url === 'string' ? v.url : null,
    };
  } catch {
    return empty;
  }
}
