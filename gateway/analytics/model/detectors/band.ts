/** anomaly.band: the latest sample lies outside the learned band (the alarm engine adds onDelayS). */
import type { Detector, PointLabel } from '../../types.js';
import { formatValue, formatWhen } from '../format.js';

export function createBandDetector(opts: { label: PointLabel }): Detector {
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
      // a `recent` baseline is flat: "for Tuesday 14:00" would suggest a seasonal expectation it does not have
      const when = baseline.kind === 'recent' ? '' : ` for ${formatWhen(ts, label)}`;
      text = `${label.name} ${formatValue(value, label.unit)}, expected ${formatValue(b.lo, null)}–${formatValue(b.hi, label.unit)}${when}`;
    },
    finding: () => ({ active: text !== null, text }),
  };
}
