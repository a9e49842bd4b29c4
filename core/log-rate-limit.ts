/**
 * Holds back repeats of one log line. A fault that repeats ten times a second (a full disk, a
 * sensor spraying junk) must not fill the SD card with log lines, yet the log must say it went on:
 * within a window the first `burst` lines of a key are written, the rest are only counted, and when
 * the window ends one summary line says how many were held back ("... 523 more in the last minute").
 *
 * Time is the monotonic clock (a wall-clock step must not open or close windows) and is injected,
 * so tests run it with a fake clock.
 */

export interface RepeatLimitOptions {
  /** length of one window, ms */
  windowMs: number;
  /** lines of one key written per window before the rest are counted */
  burst: number;
  /** keys tracked at most; beyond it new keys share one budget (a flood of distinct keys) */
  maxKeys?: number;
  /** monotonic ms */
  now?: () => number;
  /** writes the summary of a key whose window ended with lines held back */
  summary(key: string, held: number, last: unknown): void;
}

export interface RepeatLimiter {
  /** true: write the line; false: it was counted. `last` is handed to the summary. */
  admit(key: string, last?: unknown): boolean;
  /** writes every pending summary now (at close) */
  flush(): void;
}

interface Entry {
  start: number;
  written: number;
  held: number;
  last: unknown;
}

/** The key that distinct keys share once maxKeys are tracked. */
export const OVERFLOW_KEY = '*';

export function createRepeatLimiter(options: RepeatLimitOptions): RepeatLimiter {
  const { windowMs, burst } = options;
  const maxKeys = options.maxKeys ?? 1000;
  const now = options.now ?? (() => performance.now());
  const entries = new Map<string, Entry>();
  let timer: NodeJS.Timeout | undefined;
  let lastPrune = Number.NEGATIVE_INFINITY;

  function close(key: string, e: Entry): void {
    entries.delete(key);
    if (e.held > 0) options.summary(key, e.held, e.last);
  }

  /** Ends every window that is over; re-arms while some still hold lines back. */
  function sweep(): void {
    timer = undefined;
    const t = now();
    let earliest = Number.POSITIVE_INFINITY;
    for (const [key, e] of entries) {
      if (t - e.start >= windowMs) close(key, e);
      else if (e.held > 0) earliest = Math.min(earliest, e.start + windowMs);
    }
    if (earliest !== Number.POSITIVE_INFINITY) arm(earliest - t);
  }

  function arm(delayMs: number): void {
    if (timer) return;
    timer = setTimeout(sweep, Math.max(1, Math.ceil(delayMs)));
    // A held-back count must not keep the process alive at exit.
    timer.unref?.();
  }

  return {
    admit(key, last) {
      const t = now();
      if (!entries.has(key) && entries.size >= maxKeys && t - lastPrune >= windowMs / 10) {
        // Keys seen once long ago would otherwise fill the map and push every new key into the shared one.
        lastPrune = t;
        for (const [k, e] of entries) if (t - e.start >= windowMs) close(k, e);
      }
      const k = entries.has(key) || entries.size < maxKeys ? key : OVERFLOW_KEY;
      let e = entries.get(k);
      if (e && t - e.start >= windowMs) {
        close(k, e);
        e = undefined;
      }
      if (!e) {
        e = { start: t, written: 0, held: 0, last };
        entries.set(k, e);
      }
      if (e.written < burst) {
        e.written++;
        return true;
      }
      e.held++;
      e.last = last;
      arm(e.start + windowMs - t);
      return false;
    },
    flush() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (const [key, e] of entries) close(key, e);
    },
  };
}

/** "minute", "10 s": the window as the summary line names it. */
export function windowText(windowMs: number): string {
  if (windowMs === 60_000) return 'minute';
  if (windowMs % 60_000 === 0) return `${windowMs / 60_000} minutes`;
  return `${Math.round(windowMs / 1000)} s`;
}
