/**
 * anomaly.spike: one sample far from the samples just before it, by a robust z-score. Judged
 * against the recent window rather than the baseline, so a spike is caught at any level; the
 * baseline's spread is a floor, so a very smooth stretch does not make ordinary noise a spike.
 */
import type { Detector, PointLabel, Sensitivity } from '../../types.js';
import { formatValue } from '../format.js';
import { robustStats, robustZ } from '../robust.js';

const THRESHOLD: Record<Sensitivity, number> = { low: 9, medium: 7, high: 5 };
/** the ~30 samples before the judged one */
const WINDOW = 30;
/** fewer samples than this say too little about "normal" to call anything a spike */
const MIN_WINDOW = 10;
/** a spike is one sample; it stays a finding this long so the engine's 1 s tick sees it */
const HOLD_MS = 60_000;

export function createSpikeDetector(opts: { label: PointLabel; sensitivity: Sensitivity }): Detector {
  const { label } = opts;
  const threshold = THRESHOLD[opts.sensitivity];
  const recent: number[] = [];
  let lastSpikeAt: number | null = null;
  let text: string | null = null;
  return {
    observe(ts, value, baseline) {
      // No judgement while the point trains: a quiet, coarsely quantised stretch (0.1 °C steps)
      // has a spread of nearly nothing, and one ordinary step would read as a spike.
      if (baseline && recent.length >= MIN_WINDOW) {
        const stats = robustStats(recent);
        const center = stats.center;
        const scale = Math.max(stats.scale, baseline.scale);
        if (Math.abs(robustZ(value, center, scale)) > threshold) {
          lastSpikeAt = ts;
          text = `${label.name} spiked to ${formatValue(value, label.unit)}, expected about ${formatValue(center, label.unit)}`;
        }
      }
      // the spike joins the window too: the median shrugs it off, and a lasting step stops being "sudden" after ~15 samples
      recent.push(value);
      if (recent.length > WINDOW) recent.shift();
    },
    finding(now) {
      const active = lastSpikeAt !== null && now - lastSpikeAt <= HOLD_MS;
      return { active, text: active ? text : null };
    },
  };
}
