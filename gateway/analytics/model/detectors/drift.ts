/**
 * anomaly.drift: a sustained shift away from the baseline, even well inside the band, by a
 * two-sided CUSUM on quarter-hour means of the standardised residual r = (x − expected) / scale.
 * CUSUM adds up small persistent deviations (k = 0.5 scales is ignored as noise), so a slow
 * drift is seen long before any single value looks wrong. Quarter hours, not minutes: facility
 * values wander for an hour or more around their expected value (load, weather), and summed a
 * minute at a time such a wander reads as drift (the labelled evaluation: ~260 false alarms per
 * 100 point-days at minutes, with k 1 still ~150).
 */
import type { Detector, PointLabel, Sensitivity } from '../../types.js';
import { formatValue } from '../format.js';
import { createMinuteMeans } from '../minute-means.js';

const H: Record<Sensitivity, number> = { low: 8, medium: 6, high: 4 };
/** the allowance: a period's mean within half a scale of the expected value counts as no drift */
const K = 0.5;
const PERIOD_MS = 15 * 60_000;
/**
 * A standing offset from the baseline (a weekday judged against a week that mixes in the weekend,
 * a sensor's small calibration offset) is no drift: the residual's own day-long mean is taken
 * off before summing, so only a change of level is summed (learnt while nothing is drifting).
 */
const BIAS_ALPHA = PERIOD_MS / (24 * 3_600_000);
/** the sums stop at 1.25 h, so the way back below h/2 is short */
const CAP = 1.25;

type Direction = 'up' | 'down';

export function createDriftDetector(opts: { label: PointLabel; sensitivity: Sensitivity }): Detector {
  const { label } = opts;
  const h = H[opts.sensitivity];
  // per minute: r, x, expected
  const minutes = createMinuteMeans(3, PERIOD_MS);
  let up = 0;
  let down = 0;
  let bias = 0;
  let active: Direction | null = null;
  let seen = { x: 0, expected: 0 };
  let judging = false;

  const closeMinute = ([raw, x, expected]: number[]) => {
    const r = raw! - bias;
    up = Math.min(CAP * h, Math.max(0, up + r - K));
    down = Math.min(CAP * h, Math.max(0, down - r - K));
    if (up === 0 && down === 0) bias += BIAS_ALPHA * (raw! - bias);
    // a period back within the allowance halves what was summed: the finding returns within about
    // half an hour of the value coming back, not hours after a long fault
    if (Math.abs(r) < K) {
      up /= 2;
      down /= 2;
    }
    seen = { x: x!, expected: expected! };
    if (active === 'up' && up < h / 2) active = null;
    if (active === 'down' && down < h / 2) active = null;
    if (active === null) active = up > h ? 'up' : down > h ? 'down' : null;
  };

  const textFor = (dir: Direction, x: number, expected: number) =>
    `${label.name} drifting ${dir}: ${formatValue(x, label.unit)}, expected ${formatValue(expected, label.unit)}`;

  return {
    observe(ts, value, baseline) {
      if (!baseline) {
        // no expected value to drift from (training again): start over when one comes
        judging = false;
        up = down = bias = 0;
        active = null;
        minutes.reset();
        return;
      }
      judging = true;
      const expected = baseline.bandAt(ts).expected;
      const closed = minutes.add(ts, [(value - expected) / baseline.scale, value, expected]);
      if (closed) closeMinute(closed.means);
    },
    finding(now) {
      if (!judging) return { active: false, text: null };
      if (active !== null) return { active: true, text: textFor(active, seen.x, seen.expected) };
      // the open minute counts by the share of it that has passed: a drift is raised up to a
      // minute sooner, while one odd sample early in a minute weighs little
      const open = minutes.open(now);
      if (!open) return { active: false, text: null };
      const [raw, x, expected] = open.means as [number, number, number];
      const r = raw - bias;
      if (up + open.fraction * (r - K) > h) return { active: true, text: textFor('up', x, expected) };
      if (down + open.fraction * (-r - K) > h) return { active: true, text: textFor('down', x, expected) };
      return { active: false, text: null };
    },
  };
}
