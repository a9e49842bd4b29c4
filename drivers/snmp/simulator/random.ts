/**
 * Seeded randomness so a simulated SNMP site moves the same way for the same seed. The same
 * small generator and mean-reverting walk as the Modbus simulator's (a driver uses only its own
 * folder, so it is repeated here rather than imported).
 */

export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** uniform in [min, max) */
  between(min: number, max: number): number;
  /** standard normal */
  gauss(): number;
}

/** mulberry32: tiny, fast and good enough for plausible noise. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (min, max) => min + (max - min) * next(),
    // Box–Muller; 1 - next() keeps log away from 0
    gauss: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
  };
}

/** Derives a per-device seed from the site seed and a name (FNV-1a). */
export function deriveSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export interface Walk {
  readonly value: number;
  /** advances by dtMs and returns the new value */
  step(dtMs: number): number;
}

/** A smooth random walk kept inside [min, max], pulled back toward the middle. */
export function createWalk(rng: Rng, opts: { min: number; max: number; start?: number; volatility: number }): Walk {
  const mid = (opts.min + opts.max) / 2;
  const jittered = opts.start === undefined ? rng.between(opts.min, opts.max) : opts.start + (opts.max - opts.min) * 0.05 * rng.gauss();
  let value = Math.min(opts.max, Math.max(opts.min, jittered));
  return {
    get value() {
      return value;
    },
    step(dtMs) {
      if (dtMs <= 0) return value;
      const dt = dtMs / 1000;
      value += Math.min(1, 0.02 * dt) * (mid - value) + opts.volatility * Math.sqrt(dt) * rng.gauss();
      value = Math.min(opts.max, Math.max(opts.min, value));
      return value;
    },
  };
}
