/**
 * A warning per key at most once per interval: a sensor spraying junk ten times a second must
 * not fill the SD card with log lines. The next line says how many were held back.
 */
import type { Logger } from '../../gateway/logger.js';

export type RateLimitedLog = (key: string, msg: string, fields?: Record<string, unknown>) => void;

/** keys tracked at most; a flood of distinct keys (random topics) shares one budget beyond it */
const MAX_KEYS = 1000;

export function createRateLimitedLog(logger: Logger, intervalMs = 60_000, now: () => number = Date.now): RateLimitedLog {
  const last = new Map<string, { at: number; held: number }>();
  return (key, msg, fields) => {
    const t = now();
    const k = last.size >= MAX_KEYS && !last.has(key) ? '*' : key;
    const entry = last.get(k);
    if (entry && t - entry.at < intervalMs) {
      entry.held += 1;
      return;
    }
    const held = entry?.held ?? 0;
    if (last.size >= MAX_KEYS) {
      for (const [old, e] of last) if (t - e.at >= intervalMs) last.delete(old);
    }
    last.set(k, { at: t, held: 0 });
    logger.warn(msg, held > 0 ? { ...fields, suppressed: held } : fields);
  };
}
