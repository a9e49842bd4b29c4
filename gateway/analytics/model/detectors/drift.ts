/**
 * anomaly.drift: a sustained shift away from the baseline, even well inside the band, by a
 * two-sided CUSUM on minute means of the standardised residual r = (x − expected) / scale.
 * CUSUM adds up small persistent deviations (k = 0.5 scales is ignored as noise), so a slow
 * drift is seen long before any single value looks wrong.
 */
import type { Detector, PointLabel, Sensitivity } from '../../types.js';
import { formatValue } from '../format.js';
import { createMinuteMeans } from '../minute-means.js';

const H: Record<Sensitivity, number> = { low: 12, medium: 8, high: 5 };
/** the allowance: a minute mean within half a scale of the expected value counts as no drift */
const K = 0.5;
/**
 * The sums stop at 1.25 h: back at normal a sum falls by K a minute, so from the cap the finding
 * returns (below h/2) in ~12 minutes at medium instead of hours after a long fault.
 */
const CAP = 1.25;

type Direction = 'up' | 'down';

export function createDriftDetector(opts: { label: PointLabel; sensitivity: Sensitivity }): Detector {
  const { label } = opts;
  const h = H[opts.sensitivity];
  // per minute: r, x, expected
  const minutes = createMinuteMeans(3);
  let up = 0;
  let down = 0;
  let active: Direction | null = null;
  let seen = { x: 0, expected: 0 };
  let judging = false;

  const closeMinute = ([r, x, expected]: number[]) => {
    up = Math.min(CAP * h, Math.max(0, up + r! - K));
    down = Math.min(CAP * h, Math.max(0, down - r! - K));
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
        up = down = 0;
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
      const [r, x, expected] = open.means as [number, number, number];
      if (up + open.fraction * (r - K) > h) return { active: true, text: textFor('up', x, expected) };
      if (down + open.fraction * (-r - K) > h) return { active: true, text: textFor('down', x, expected) };
      return { active: false, text: null };
    },
  };
}
