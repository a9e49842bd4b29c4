/** anomaly.band: the latest sample lies outside the learned band (the alarm engine adds onDelayS). */
import type { Detector, PointLabel } from '../../types.js';
import { formatSeasonWhen, formatValue } from '../format.js';

/** isActive(now): finding(now).active without building the finding (the service asks it every second) */
export function createBandDetector(opts: { label: PointLabel }): Detector & { isActive(now: number): boolean } {
  const { label } = opts;
  let text: string | null = null;
  return {
    observe(ts, value, baseline) {
      // judged at observe time, with the baseline the sample came with, so finding() stays cheap
      if (!baseline) {
        text = null;
        return;
      }
      const b = baseline.bandAt(ts);
      if (value >= b.lo && value <= b.hi) {
        text = null;
        return;
      }
      // worded by the season learnt: a `recent` baseline is flat and says no time at all
      const season = formatSeasonWhen(ts, baseline.kind, label);
      const when = season ? ` ${season}` : '';
      text = `${label.name} ${formatValue(value, label.unit)}, expected ${formatValue(b.lo, null)}–${formatValue(b.hi, label.unit)}${when}`;
    },
    finding: () => ({ active: text !== null, text }),
    isActive: () => text !== null,
  };
}
