/** Seeded randomness for the simulators, so a simulated site moves the same way for the same seed. */

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
    gauss() {
      // Box–Muller; 1 - next() keeps log away from 0
      return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    },
  };
}

/** Derives a per-device seed from the site seed and a name (FNV-1a). */
export function deriveSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export interface WalkOptions {
  min: number;
  max: number;
  start?: number;
  /** typical change per √second, in value units */
  volatility: number;
}

export interface Walk {
  readonly value: number;
  /** advances by dtMs and returns the new value */
  step(dtMs: number): number;
}

/**
 * A smooth random walk kept inside [min, max]: mean-reverting toward the middle (an
 * Ornstein–Uhlenbeck process), so values wander plausibly instead of sticking to a bound.
 */
export function createWalk(rng: Rng, opts: WalkOptions): Walk {
  const mid = (opts.min + opts.max) / 2;
  // a given start is jittered a little, so two devices of one model do not begin identical
  const jittered = opts.start === undefined ? rng.between(opts.min, opts.max) : opts.start + (opts.max - opts.min) * 0.05 * rng.gauss();
  let value = Math.min(opts.max, Math.max(opts.min, jittered));
  const reversion = 0.02;
  return {
    get value() {
      return value;
    },
    step(dtMs) {
      if (dtMs <= 0) return value;
      const dt = dtMs / 1000;
      value += Math.min(1, reversion * dt) * (mid - value) + opts.volatility * Math.sqrt(dt) * rng.gauss();
      value = Math.min(opts.max, Math.max(opts.min, value));
      return value;
    },
  };
}
