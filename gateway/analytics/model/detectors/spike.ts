/**
 * anomaly.spike: one sample far from the samples just before it, by a robust z-score. Judged
 * against the recent window rather than the baseline, so a spike is caught at any level; the
 * baseline's spread is a floor, so a very smooth stretch does not make ordinary noise a spike.
 */
import type { BaselineModel, Detector, Finding, PointLabel, Sensitivity } from '../../types.js';
import { formatValue } from '../format.js';
import { robustZ } from '../robust.js';
import { createRollingWindow } from '../rolling-window.js';

const THRESHOLD: Record<Sensitivity, number> = { low: 9, medium: 7, high: 5 };
/** the ~30 samples before the judged one */
const WINDOW = 30;
/** fewer samples than this say too little about "normal" to call anything a spike */
const MIN_WINDOW = 10;
/** a spike is one sample; it stays a finding this long so the engine's 1 s tick sees it */
const HOLD_MS = 60_000;

/** isActive(now): finding(now).active without building the finding (the service asks it every second) */
export function createSpikeDetector(opts: { label: PointLabel; sensitivity: Sensitivity }): Detector & { isActive(now: number): boolean } {
  return new SpikeDetector(opts.label, THRESHOLD[opts.sensitivity]);
}

/** A class, not closures: its methods are shared by the 1 000 points' detectors (closures cost ~1 KB a point). */
class SpikeDetector implements Detector {
  // kept sorted as samples arrive: the median and MAD cost one pass per sample, not two sorts
  private readonly recent = createRollingWindow(WINDOW);
  private lastSpikeAt: number | null = null;
  private text: string | null = null;

  constructor(
    private readonly label: PointLabel,
    private readonly threshold: number,
  ) {}

  private held(now: number): boolean {
    return this.lastSpikeAt !== null && now - this.lastSpikeAt <= HOLD_MS;
  }

  observe(ts: number, value: number, baseline: BaselineModel | null): void {
    if (!Number.isFinite(value)) return;
    const { recent, threshold, label } = this;
    // No judgement while the point trains: a quiet, coarsely quantised stretch (0.1 °C steps)
    // has a spread of nearly nothing, and one ordinary step would read as a spike.
    // The scale is at least the baseline's: a value within threshold × that of the median is no
    // spike whatever the window's MAD, so most samples need only the median (the margin keeps
    // a rounding at the very edge from skipping a spike the full test would call).
    if (baseline && recent.size >= MIN_WINDOW && Math.abs(value - recent.median()) > threshold * baseline.scale * (1 - 1e-9)) {
      const stats = recent.stats();
      const center = stats.center;
      const scale = Math.max(stats.scale, baseline.scale);
      if (Math.abs(robustZ(value, center, scale)) > threshold) {
        this.lastSpikeAt = ts;
        this.text = `${label.name} spiked to ${formatValue(value, label.unit)}, expected about ${formatValue(center, label.unit)}`;
      }
    }
    // the spike joins the window too: the median shrugs it off, and a lasting step stops being "sudden" after ~15 samples
    recent.push(value);
  }

  finding(now: number): Finding {
    const active = this.held(now);
    return { active, text: active ? this.text : null };
  }

  isActive(now: number): boolean {
    return this.held(now);
  }
}
