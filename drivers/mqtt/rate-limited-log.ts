/**
 * A warning per key at most once per interval: a sensor spraying junk ten times a second must
 * not fill the SD card with log lines. When the interval ends, one line says how many were held
 * back. The same repeat limiter as the logger's (gateway/log-rate-limit.ts), keyed by what the
 * caller names (a topic, a user) rather than the message, so each offender stays visible once.
 */
import { createRepeatLimiter } from '../../core/log-rate-limit.js';
import type { Logger } from '../../core/logger.js';

export type RateLimitedLog = (key: string, msg: string, fields?: Record<string, unknown>) => void;

interface Line {
  msg: string;
  fields?: Record<string, unknown>;
}

export function createRateLimitedLog(logger: Logger, intervalMs = 60_000, now?: () => number): RateLimitedLog {
  const limiter = createRepeatLimiter({
    windowMs: intervalMs,
    burst: 1,
    // a flood of distinct keys (random topics) shares one budget beyond this
    maxKeys: 1000,
    now,
    summary(_key, held, last) {
      const line = last as Line;
      logger.warn(line.msg, { ...line.fields, suppressed: held });
    },
  });
  return (key, msg, fields) => {
    if (limiter.admit(key, { msg, fields } satisfies Line)) logger.warn(msg, fields);
  };
}
