/**
 * The MQTT rate limits: per client in the embedded broker (the client is held back, see
 * client-throttle.ts) and per point in the ingest (extra messages are refused unread, counted as
 * `rate-limited`). Both run a token bucket on the monotonic clock, so a wall-clock step neither
 * opens nor shuts them. Dependency-free: the config schema reads the defaults.
 */

/** publishes per second one client of the embedded broker may make (`mqttBroker.clientRateLimit`) */
export const DEFAULT_CLIENT_RATE_LIMIT = 500;
/** messages per second one point (its topic) may bring (device `pointRateLimit`) */
export const DEFAULT_POINT_RATE_LIMIT = 10;
/** a point may bring this many seconds' worth at once (a sensor sending its buffer after a reconnect) */
export const POINT_BURST_S = 5;

/** A token bucket: `ratePerS` tokens a second, at most `burst` saved up. */
export interface TokenBucket {
  /** Takes one token when there is one. */
  take(at: number): boolean;
  /** ms from `at` until the next token (0 when one is there now) */
  waitMs(at: number): number;
}

export function createTokenBucket(ratePerS: number, burst: number, at: number): TokenBucket {
  if (!(ratePerS > 0)) throw new RangeError(`a token bucket needs a rate above 0, not ${ratePerS}`);
  const capacity = Math.max(1, burst);
  const perMs = ratePerS / 1000;
  let tokens = capacity;
  let last = at;
  const refill = (t: number) => {
    // a clock that did not advance (or a caller's older time) adds nothing
    if (t > last) {
      tokens = Math.min(capacity, tokens + (t - last) * perMs);
      last = t;
    }
  };
  return {
    take(t) {
      refill(t);
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    waitMs(t) {
      refill(t);
      return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / perMs);
    },
  };
}
