/**
 * anomaly.drift: a sustained shift away from the baseline, even well inside the band, by a
 * two-sided CUSUM on quarter-hour means of the residual r = (x − expected) / scale, judged in
 * units of the spread quarter-hour residuals have on this point when nothing is wrong
 * (residual-normal.ts), with their standing offset taken off.
 *
 * Quarter hours, not minutes: facility values wander for an hour or more around their expected
 * value (load, weather), and summed a minute at a time such a wander reads as drift. And a high
 * allowance (k 3.5 spreads at medium), because quarter hours are no cure by themselves: a wander
 * with a time constant of 1–2 h makes consecutive quarters 0.85–0.95 correlated, and a CUSUM with
 * the textbook k 0.5 then sums ordinary wander into an alarm every day or two (the labelled
 * evaluation: ~90 false alarms per 100 point-days; a simulated AR(1) wander: the same). For such a
 * point a slow drift cannot be told from the wander until it has gone about 4 spreads, about where
 * the band is, and no tuning changes that; where residuals are nearly independent the spread is a
 * quarter of a scale and the same k finds a drift at about 1 scale, long before the band.
 *
 * The expected value is itself uncertain where the baseline learnt it from few days (a weekend
 * hour from two, against a weekday hour from five: the baseline's `uncertainty`), and that error
 * holds for the whole hour, so a CUSUM sums it like a drift. A quarter is therefore judged in
 * √(spread² + uncertainty²) (both in scales): the reference widens by what the profile does not
 * know. The learnt spread already holds the usual hours' share of it, so this counts that share
 * twice; the cost is a drift found a little later on every hour (the larger evaluation: this
 * check's median delay on planted drifts 62 → 71 min, every drift still found before the static
 * threshold), the gain that a weekend judged against two days is not held to the certainty of five.
 */
import type { BaselineModel, Detector, Finding, PointLabel, Sensitivity } from '../../types.js';
import { formatValue } from '../format.js';
import { createMinuteMeans } from '../minute-means.js';
import { createResidualNormal } from './residual-normal.js';

/**
 * allowance k and decision limit h, in spreads, by sensitivity. Medium: on a simulated AR(1)
 * residual (φ 0.8–0.96) 0.06–0.16 false alarms per 100 days (k 3: up to 1), a drift of 0.2 spreads
 * a quarter found at about 4.4 spreads; on the labelled series (224 point-days × 4 seeds, weekdays)
 * 2 false alarms in ~450 point-days, where k 3 gave 7 and the old k 0.5 on scales ~90 per 100.
 */
const LIMITS: Record<Sensitivity, { k: number; h: number }> = {
  low: { k: 4, h: 2 },
  medium: { k: 3.5, h: 2 },
  high: { k: 3, h: 2 },
};
const PERIOD_MS = 15 * 60_000;
/** the sums stop at 1.25 h, so the way back below h/2 is short */
const CAP = 1.25;

type Direction = 'up' | 'down';

export function createDriftDetector(opts: { label: PointLabel; sensitivity: Sensitivity }): Detector & { isActive(now: number): boolean } {
  const { k, h } = LIMITS[opts.sensitivity];
  return new DriftDetector(opts.label, k, h);
}

/** A class, not closures: its methods are shared by the 1 000 points' detectors (closures cost ~1 KB a point). */
class DriftDetector implements Detector {
  // per quarter hour: r, x, expected, the expected value's uncertainty (all but x and expected in scales)
  private readonly quarters = createMinuteMeans(4, PERIOD_MS);
  private readonly normal = createResidualNormal();
  private up = 0;
  private down = 0;
  private active: Direction | null = null;
  private seenX = 0;
  private seenExpected = 0;
  private judging = false;

  constructor(
    private readonly label: PointLabel,
    private readonly k: number,
    private readonly h: number,
  ) {}

  /** a quarter's residual in spreads from its normal, widened by the expected value's uncertainty */
  private standardised(r: number, uncertainty: number): number {
    const spread = this.normal.spread;
    return (r - this.normal.bias) / Math.sqrt(spread * spread + uncertainty * uncertainty);
  }

  private closeQuarter([r, x, expected, uncertainty]: number[]): void {
    const { k, h } = this;
    const z = this.standardised(r!, uncertainty!);
    this.up = Math.min(CAP * h, Math.max(0, this.up + z - k));
    this.down = Math.min(CAP * h, Math.max(0, this.down - z - k));
    // a period back within the allowance halves what was summed: the finding returns within about
    // half an hour of the value coming back, not hours after a long fault
    if (Math.abs(z) < k) {
      this.up /= 2;
      this.down /= 2;
    }
    this.normal.learn(r!);
    this.seenX = x!;
    this.seenExpected = expected!;
    if (this.active === 'up' && this.up < h / 2) this.active = null;
    if (this.active === 'down' && this.down < h / 2) this.active = null;
    if (this.active === null) this.active = this.up > h ? 'up' : this.down > h ? 'down' : null;
  }

  private textFor(dir: Direction, x: number, expected: number): string {
    const { label } = this;
    return `${label.name} drifting ${dir}: ${formatValue(x, label.unit)}, expected ${formatValue(expected, label.unit)}`;
  }

  observe(ts: number, value: number, baseline: BaselineModel | null): void {
    if (!baseline) {
      // no expected value to drift from (training again): start over when one comes
      this.judging = false;
      this.up = this.down = 0;
      this.active = null;
      this.normal.reset();
      this.quarters.reset();
      return;
    }
    this.judging = true;
    const band = baseline.bandAt(ts);
    const expected = band.expected;
    const closed = this.quarters.add(ts, [(value - expected) / baseline.scale, value, expected, (band.uncertainty ?? 0) / baseline.scale]);
    if (closed) this.closeQuarter(closed.means);
  }

  finding(now: number): Finding {
    if (!this.judging) return { active: false, text: null };
    if (this.active !== null) return { active: true, text: this.textFor(this.active, this.seenX, this.seenExpected) };
    const open = this.quarters.open(now);
    const direction = open && this.openDirection(open.means, open.fraction);
    if (!open || !direction) return { active: false, text: null };
    return { active: true, text: this.textFor(direction, open.means[1]!, open.means[2]!) };
  }

  /** finding(now).active without building its text: peers ask it of each other on every sample */
  isActive(now: number): boolean {
    if (!this.judging) return false;
    if (this.active !== null) return true;
    const open = this.quarters.open(now);
    return open !== null && this.openDirection(open.means, open.fraction) !== null;
  }

  /**
   * The open quarter counts by the share of it that has passed: a drift is raised sooner, while
   * one odd sample early in a quarter weighs little.
   */
  private openDirection(means: readonly number[], fraction: number): Direction | null {
    const z = this.standardised(means[0]!, means[3]!);
    const { k, h } = this;
    if (this.up + fraction * (z - k) > h) return 'up';
    if (this.down + fraction * (-z - k) > h) return 'down';
    return null;
  }
}
