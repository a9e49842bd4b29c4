/**
 * A small structured logger: one JSON line per entry on stderr (or a human line when stderr is a
 * TTY). Passed in, never imported as a singleton.
 *
 * Repeats are held back (log-rate-limit.ts): the same level and message from the same source
 * (the logger's bound fields, and the identity fields below) is written at most `burst` times per
 * window; the rest are counted and one line at the end of the window says "... N more in the last
 * minute". A fault that repeats every few milliseconds (a full disk) then costs a few lines a
 * minute, not a full SD card, while ten alarms raised at once still give ten lines.
 */
import { createRepeatLimiter, type RepeatLimiter, windowText } from './log-rate-limit.js';
import { scrubUrls } from './redact-url.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names whose values are never written out, whatever logs them. */
const SECRET_FIELD = /pass(word)?|secret|token|authorization|cookie/i;

export interface RepeatLimit {
  /** default 60000 */
  windowMs: number;
  /** lines of one level + message written per window, default 5 */
  burst: number;
}

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
  pretty?: boolean;
  /** how repeated lines are held back; `false` writes every line */
  repeat?: RepeatLimit | false;
  /** monotonic ms for the repeat windows (default performance.now) */
  now?: () => number;
}

export const DEFAULT_REPEAT_LIMIT: RepeatLimit = { windowMs: 60_000, burst: 5 };

/** Fields that name what a line is about: lines about different ones are not repeats of each other. */
const IDENTITY_FIELDS = ['alarm', 'device', 'point', 'target', 'topic', 'username', 'client'] as const;

function identityOf(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  let id = '';
  for (const k of IDENTITY_FIELDS) {
    const v = fields[k];
    if (v !== undefined) id += `\u0000${k}=${String(v)}`;
  }
  return id;
}

interface Held {
  level: LogLevel;
  msg: string;
  fields: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}, base: Record<string, unknown> = {}): Logger {
  const repeat = options.repeat ?? DEFAULT_REPEAT_LIMIT;
  // One limiter for a logger and all its children, so a child per request cannot bypass it.
  const limiter =
    repeat === false
      ? undefined
      : createRepeatLimiter({
          windowMs: repeat.windowMs,
          burst: repeat.burst,
          now: options.now,
          summary(_key, held, last) {
            const h = last as Held;
            emit(h.level, `${h.msg} (... ${held} more in the last ${windowText(repeat.windowMs)})`, { ...h.fields, suppressed: held });
          },
        });
  const emit = buildEmit(options);
  return buildLogger(options, base, emit, limiter);
}

type Emit = (level: LogLevel, msg: string, all: Record<string, unknown>) => void;

function buildEmit(options: LoggerOptions): Emit {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const pretty = options.pretty ?? false;
  return (level, msg, all) => {
    if (pretty) {
      const extra = Object.entries(all)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? ` ${extra}` : ''}`);
    } else {
      write(JSON.stringify({ t: new Date().toISOString(), level, msg, ...all }));
    }
  };
}

function buildLogger(options: LoggerOptions, base: Record<string, unknown>, emit: Emit, limiter: RepeatLimiter | undefined): Logger {
  const min = ORDER[options.level ?? 'info'];
  // The bound fields (component, device, ...) are part of the key: one device's fault must not hide another's.
  const baseKey = JSON.stringify(base);
  const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const all = redact({ ...base, ...fields });
    if (limiter && !limiter.admit(`${level}\u0000${msg}\u0000${baseKey}${identityOf(fields)}`, { level, msg, fields: all } satisfies Held)) return;
    emit(level, msg, all);
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (fields) => buildLogger(options, { ...base, ...fields }, emit, limiter),
  };
}

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_FIELD.test(k)) out[k] = '[redacted]';
    // A URL's userinfo, path and query may be credentials (a webhook's path often is): only scheme://host:port is written.
    else if (v instanceof Error) out[k] = scrubUrls(v.message);
    else if (typeof v === 'string') out[k] = scrubUrls(v);
    else if (Array.isArray(v)) out[k] = v.map((x) => (typeof x === 'string' ? scrubUrls(x) : x));
    else out[k] = v;
  }
  return out;
}

export const silentLogger: Logger = createLogger({ write: () => {}, repeat: false });
