/**
 * The site-wide trap budget (`snmpTraps.maxPerSecond`): a token bucket, so a burst up to one
 * second's worth passes and a sustained flood is held to the rate. A trap storm (a UPS flapping,
 * a sender in a loop) must not flood the event log or starve the polls.
 */

export interface TrapRateLimit {
  /** true when a notification could be taken now (takes nothing): checked before parsing */
  hasRoom(): boolean;
  /** true: take this notification (uses one token); false: over the budget */
  admit(): boolean;
}

/** `now`: monotonic ms (injected in tests). */
export function createTrapRateLimit(maxPerSecond: number, now: () => number = () => performance.now()): TrapRateLimit {
  let tokens = maxPerSecond;
  let last = now();
  const refill = () => {
    const t = now();
    tokens = Math.min(maxPerSecond, tokens + ((t - last) * maxPerSecond) / 1000);
    last = t;
  };
  return {
    hasRoom() {
      refill();
      return tokens >= 1;
    },
    admit() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
