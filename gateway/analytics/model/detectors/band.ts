/**
 * anomaly.band: the latest sample lies outside the learned band (the alarm engine adds onDelayS).
 *
 * The band follows the point's slow level. Facility values wander around their expected value for
 * an hour or more (room, weather, IT load moving around: the labelled series have an AR(1) wander
 * with a 90 min time constant), and a seasonal profile learnt from a week cannot know where today's
 * wander stands: a harmless wander of 3–4 spreads then sat outside a fixed band for hours (the
 * larger evaluation: ~27 false band alarms per 100 point-days, most on the weekend, whose profile
 * has only one or two days behind it). So the band is centred on expected + level, the level an
 * EWMA (time constant LEVEL_TAU_MIN) of the minute means' residuals while they are inside the band,
 * held to ±LEVEL_CAP scales. A step or a spike is out of the band at once and teaches nothing; a
 * wander is followed; a slow drift is followed only up to the cap, and the drift check (CUSUM
 * against the expected value itself, not the followed one) is what finds it.
 */
import type { BaselineModel, Detector, Finding, PointLabel } from '../../types.js';
import { formatSeasonWhen, formatValue } from '../format.js';
import { createMinuteMeans } from '../minute-means.js';

/**
 * The level's time constant: removes most of a wander of an hour or more (a first-order follower
 * leaves τf / (τw + τf) of an AR(1) wander's variance: a quarter for τw 90 min), while a step of
 * 5 minutes moves it by under a sixth (and a step outside the band does not move it at all).
 */
const LEVEL_TAU_MIN = 30;
/** the band moves at most this many scales from the expected value: no fault is followed far */
const LEVEL_CAP = 2;
/** the first minutes weigh as if this many had been seen at level 0, so one odd minute cannot move it much */
const LEVEL_PRIOR_MINUTES = 5;

/** isActive(now): finding(now).active without building the finding (the service asks it every second) */
export function createBandDetector(opts: { label: PointLabel }): Detector & { isActive(now: number): boolean; readonly level: number } {
  return new BandDetector(opts.label);
}

/** A class, not closures: its methods are shared by the 1 000 points' detectors (closures cost ~1 KB a point). */
class BandDetector implements Detector {
  private text: string | null = null;
  /** the followed level (point units) and how many minutes taught it */
  private followed = 0;
  private learnt = 0;
  /** per minute: residual to the expected value, and whether every sample of it was inside the band */
  private readonly minutes = createMinuteMeans(2);
  private judgedBy: BaselineModel | null = null;

  constructor(private readonly label: PointLabel) {}

  get level(): number {
    return this.followed;
  }

  private learn(residual: number, allInside: boolean, scale: number): void {
    // a minute with a sample outside the band is a possible fault: it teaches nothing
    if (!allInside) return;
    this.learnt++;
    const alpha = Math.max(1 / LEVEL_TAU_MIN, 1 / (LEVEL_PRIOR_MINUTES + this.learnt));
    const capped = Math.max(-LEVEL_CAP * scale, Math.min(LEVEL_CAP * scale, residual));
    this.followed += alpha * (capped - this.followed);
  }

  observe(ts: number, value: number, baseline: BaselineModel | null): void {
    // judged at observe time, with the baseline the sample came with, so finding() stays cheap
    if (!baseline) {
      this.text = null;
      this.followed = 0;
      this.learnt = 0;
      this.minutes.reset();
      this.judgedBy = null;
      return;
    }
    if (baseline !== this.judgedBy) {
      // a refit may have learnt part of the level itself (its last hour's offset): keep what
      // was followed, held within the cap of the new scale
      this.followed = Math.max(-LEVEL_CAP * baseline.scale, Math.min(LEVEL_CAP * baseline.scale, this.followed));
      this.judgedBy = baseline;
    }
    const b = baseline.bandAt(ts);
    const lo = b.lo + this.followed;
    const hi = b.hi + this.followed;
    const inside = value >= lo && value <= hi;
    // the minute's "inside" share is a mean of 1s and 0s: 1 only when every sample was inside
    const closed = this.minutes.add(ts, [value - b.expected, inside ? 1 : 0]);
    if (closed) this.learn(closed.means[0]!, closed.means[1]! === 1, baseline.scale);
    if (inside) {
      this.text = null;
      return;
    }
    // worded by the season learnt: a `recent` baseline is flat and says no time at all
    const { label } = this;
    const season = formatSeasonWhen(ts, baseline.kind, label);
    const when = season ? ` ${season}` : '';
    this.text = `${label.name} ${formatValue(value, label.unit)}, expected ${formatValue(lo, null)}–${formatValue(hi, label.unit)}${when}`;
  }

  finding(): Finding {
    return { active: this.text !== null, text: this.text };
  }

  isActive(): boolean {
    return this.text !== null;
  }
}
