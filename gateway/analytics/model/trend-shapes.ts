/**
 * The shapes a trend window is fitted with, and the choice between them. A forecast a few minutes
 * out is only as good as the shape it extends:
 * - a line: a steady rise (a hot spot spreading, load moving over);
 * - a bend: level until some moment in the window, a line from there (a ramp that began a few
 *   minutes ago: a line through the whole window would average the flat part in and come late);
 * - a first-order approach from a bend: level, then x → A with time constant τ (supply air
 *   climbing toward return air after a compressor trip, a room settling to a new heat load). A
 *   line through such a rise overstates how fast it goes on and comes early (the labelled
 *   evaluation: −45 % at 10 minutes out).
 * Every candidate is least squares on time-bin means, in O(1) a candidate from running sums
 * (all bends × 16 time constants in tens of microseconds). The choice is by BIC
 * (n·ln(RSS/n) + p·ln n, n the effective number of bins): a bend or a curve must pay for its extra
 * parameters with a real drop in the residual.
 */

/** One time bin: mean time (minutes, ≤ 0 = before now), mean value, sample count. */
export interface Bin {
  t: number;
  v: number;
  n: number;
}

export type ShapeKind = 'line' | 'bend' | 'approach';

export interface Shape {
  kind: ShapeKind;
  /** the fitted value at t minutes from now (t > 0: the forecast) */
  at(t: number): number;
  /** minutes from now until the path reaches level (after now), or null if it never does */
  minutesTo(level: number): number | null;
  /** slope now, per minute */
  slopeNow: number;
  /** where the fitted movement starts (minutes, ≤ 0): the bend, or the window's first bin */
  from: number;
}

/**
 * τ candidates (minutes): 2 to 64 in steps of about 1.25× (beyond that a curve is a line over any
 * horizon that matters). Steps of 1.5× cost a third less and made first-order rises a third worse.
 */
const TAUS = [2, 2.5, 3.2, 4, 5, 6.3, 8, 10, 12.5, 16, 20, 25, 32, 40, 50, 64];
/** a bend needs this much of the window after it (minutes, and bins) to say what follows it */
const MIN_AFTER_BEND_MIN = 2.5;
const MIN_AFTER_BEND_BINS = 8;
/**
 * BIC counts every bin as independent; a facility value's bins are not (a room's slow wander, a
 * sensor's filter, two or three samples a bin), and so counted a wiggle in the noise buys a bend or
 * a curve it does not deserve (the labelled evaluation: straight ramps forecast as levelling off,
 * p90 time-to-limit error 0.35). Scored as if one bin in ten were independent, a straight rise
 * stays a line (p90 0.09) and a first-order rise is still seen as one (median 0.12). Measuring the
 * correlation per window instead (n·(1 − ρ)/(1 + ρ)) did worse: the fit's own misfit is correlated too.
 */
const BINS_PER_INDEPENDENT = 10;

/** Suffix sums over bins i..end of w, w·t, w·t², w·x, w·t·x (index i); w is the bin's count. */
function suffixSums(bins: readonly Bin[]) {
  const n = bins.length;
  const s = { w: new Float64Array(n + 1), wt: new Float64Array(n + 1), wtt: new Float64Array(n + 1), wx: new Float64Array(n + 1), wtx: new Float64Array(n + 1) };
  for (let i = n - 1; i >= 0; i--) {
    const { t, v, n: w } = bins[i]!;
    s.w[i] = s.w[i + 1]! + w;
    s.wt[i] = s.wt[i + 1]! + w * t;
    s.wtt[i] = s.wtt[i + 1]! + w * t * t;
    s.wx[i] = s.wx[i + 1]! + w * v;
    s.wtx[i] = s.wtx[i + 1]! + w * t * v;
  }
  return s;
}

/** the best fit of one parameter count, as numbers: a Shape is made only for the winner */
interface Fit {
  rss: number;
  kind: ShapeKind;
  /** line: value at the bend and slope; approach: level before the bend and asymptote */
  a: number;
  b: number;
  bend: number;
  tau: number;
}

/**
 * Fits with the same number of parameters compete on the residual alone, so only the best of each
 * count is kept (a logarithm and an object per candidate were half the cost). The coefficients of
 * x on two columns come from their sums; collinear columns are no fit.
 */
function createLeague() {
  const best = new Map<number, Fit>();
  return {
    best,
    consider(params: number, kind: ShapeKind, bend: number, tau: number, s11: number, s12: number, s22: number, s1x: number, s2x: number, sxx: number) {
      const det = s11 * s22 - s12 * s12;
      if (!(Math.abs(det) > 1e-12 * Math.max(1, s11 * s22))) return;
      const a = (s22 * s1x - s12 * s2x) / det;
      const b = (s11 * s2x - s12 * s1x) / det;
      const rss = Math.max(0, sxx - a * s1x - b * s2x);
      const held = best.get(params);
      if (!held) best.set(params, { rss, kind, a, b, bend, tau });
      else if (rss < held.rss) Object.assign(held, { rss, kind, a, b, bend, tau });
    },
  };
}

/** a line x = a + b·(t − t0) from t0 on, level a before it (t0 at the first bin: a plain line) */
function lineFrom(a: number, b: number, t0: number, kind: ShapeKind): Shape {
  const at = (t: number) => a + b * Math.max(0, t - t0);
  return {
    kind,
    at,
    slopeNow: b,
    from: t0,
    minutesTo(level) {
      const now = at(0);
      if (b === 0 || (level - now) / b <= 0) return null;
      return (level - now) / b;
    },
  };
}

/** level x0 until t0, then x = A − (A − x0)·e^(−(t − t0)/τ) */
function approachFrom(x0: number, asymptote: number, t0: number, tau: number): Shape {
  const at = (t: number) => (t <= t0 ? x0 : asymptote - (asymptote - x0) * Math.exp(-(t - t0) / tau));
  const now = at(0);
  return {
    kind: 'approach',
    at,
    slopeNow: (asymptote - now) / tau,
    from: t0,
    minutesTo(level) {
      // reached only between now and the asymptote, never beyond it
      const share = (asymptote - level) / (asymptote - now);
      if (!(share > 0 && share < 1)) return null;
      return -tau * Math.log(share);
    },
  };
}

/** The best shape through the bins (sorted by t, t ≤ 0), by BIC; null with fewer than 3 bins. */
export function fitShape(bins: readonly Bin[]): Shape | null {
  const n = bins.length;
  if (n < 3) return null;
  const sums = suffixSums(bins);
  let sxx = 0;
  for (const b of bins) sxx += b.n * b.v * b.v;
  const W = sums.w[0]!;
  const X = sums.wx[0]!;
  const league = createLeague();
  const lastT = bins[n - 1]!.t;
  /** bins a bend may sit at: the first (no bend) and those with enough of the window after them */
  let bends = 1;
  while (bends < n && n - bends >= MIN_AFTER_BEND_BINS && lastT - bins[bends]!.t >= MIN_AFTER_BEND_MIN) bends++;

  // lines, from the first bin (2 parameters) or from a bend at bin h (3: the bend's time too)
  for (let h = 0; h < bends; h++) {
    const th = bins[h]!.t;
    // columns 1 and u = max(0, t − th)
    const su = sums.wt[h]! - th * sums.w[h]!;
    const suu = sums.wtt[h]! - 2 * th * sums.wt[h]! + th * th * sums.w[h]!;
    const sux = sums.wtx[h]! - th * sums.wx[h]!;
    league.consider(h === 0 ? 2 : 3, h === 0 ? 'line' : 'bend', th, 0, W, su, suu, X, sux, sxx);
  }

  // where neither a line nor a bend moves more than the noise (most of the time: a value holding
  // steady), a curve has nothing to bend either, and the costly part is skipped
  const moves = [...league.best.values()].some((fit) => Math.abs(fit.b * fit.bend) > Math.sqrt(fit.rss / W));
  if (moves) fitApproaches(bins, sums, league, bends, sxx);
  return choose(league, n, W, sxx);
}

/** first-order approaches: g = 1 before the bend, e^(−(t − th)/τ) after; x = x0·g + A·(1 − g) */
function fitApproaches(bins: readonly Bin[], sums: ReturnType<typeof suffixSums>, league: ReturnType<typeof createLeague>, bends: number, sxx: number): void {
  const n = bins.length;
  const t0 = bins[0]!.t;
  const W = sums.w[0]!;
  const X = sums.wx[0]!;
  const e1 = new Float64Array(n + 1);
  const e2 = new Float64Array(n + 1);
  const ex = new Float64Array(n + 1);
  for (const tau of TAUS) {
    for (let i = n - 1; i >= 0; i--) {
      // relative to the first bin, so the exponentials stay ≤ 1
      const e = Math.exp(-(bins[i]!.t - t0) / tau);
      const w = bins[i]!.n;
      e1[i] = e1[i + 1]! + w * e;
      e2[i] = e2[i + 1]! + w * e * e;
      ex[i] = ex[i + 1]! + w * e * bins[i]!.v;
    }
    for (let h = 0; h < bends; h++) {
      const th = bins[h]!.t;
      const f = Math.exp((th - t0) / tau);
      const wBefore = W - sums.w[h]!;
      const sg = wBefore + f * e1[h]!;
      const sgg = wBefore + f * f * e2[h]!;
      const sgx = X - sums.wx[h]! + f * ex[h]!;
      // columns g and 1 − g
      league.consider(h === 0 ? 3 : 4, 'approach', th, tau, sgg, sg - sgg, W - 2 * sg + sgg, sgx, X - sgx, sxx);
    }
  }
}

/** the winner by BIC among the best fit of each parameter count */
function choose(league: ReturnType<typeof createLeague>, n: number, W: number, sxx: number): Shape | null {
  // RSS per sample, floored so a noise-free series does not make ln(0) of every candidate
  const floor = 1e-12 * Math.max(1, sxx / W);
  const nEff = Math.max(2, n / BINS_PER_INDEPENDENT);
  let won: Fit | null = null;
  let wonScore = Number.POSITIVE_INFINITY;
  for (const [params, fit] of league.best) {
    const score = nEff * Math.log(Math.max(fit.rss / W, floor)) + params * Math.log(nEff);
    if (score < wonScore) {
      won = fit;
      wonScore = score;
    }
  }
  if (!won) return null;
  return won.kind === 'approach' ? approachFrom(won.a, won.b, won.bend, won.tau) : lineFrom(won.a, won.b, won.bend, won.kind);
}
