/** A bounded random walk: plausible sensor noise for simulated values. */
export interface Walk {
  step(dtMs: number): number;
  readonly value: number;
}

export function createWalk(opts: { min: number; max: number; start: number; volatility: number }, random: () => number = Math.random): Walk {
  let value = opts.start;
  return {
    step(dtMs) {
      // volatility is the typical move per second; scaled by √dt like Brownian motion
      const move = (random() * 2 - 1) * opts.volatility * Math.sqrt(Math.max(dtMs, 0) / 1000);
      value = Math.min(opts.max, Math.max(opts.min, value + move));
      return value;
    },
    get value() {
      return value;
    },
  };
}
