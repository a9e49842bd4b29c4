/**
 * anomaly.peer: one unit deviating from its identical siblings (one CRAC of four). The deviation
 * d = x − median(peers) removes what all units share (load, weather, time of day), so a fault
 * in one unit stands out even while every value is inside its own band.
 */
import type { Detector, PointLabel, Sensitivity } from '../../types.js';
import { formatValue } from '../format.js';
import { createMinuteMeans } from '../minute-means.js';
import { median, robustScale } from '../robust.js';

const K: Record<Sensitivity, number> = { low: 6, medium: 4.5, high: 3 };
/** EWMA weight of the newest minute: smooths noise, follows a real divergence within a few minutes */
const ALPHA = 0.3;
/** minutes of d the spread is learned from (a day: 1440 numbers a point) */
const HISTORY = 1440;
/** no judgement before this many minutes of d: the spread would be a guess */
const MIN_HISTORY = 30;
/** the deviation must last this many consecutive minutes */
const CONSECUTIVE = 3;
/** the spread's floor relative to the peers' level, for units that track each other almost exactly */
const LEVEL_FLOOR = 0.002;
/**
 * The centre and spread of a day of d move slowly: relearnt every 10 minutes, not every minute
 * (two sorts of 1440 numbers a point a minute were most of this detector's cost).
 */
const RELEARN_MINUTES = 10;
/** a minute joins the learned history only while the EWMA is within this share of the threshold */
const LEARN_WITHIN = 0.5;

export function createPeerDetector(opts: {
  label: PointLabel;
  sensitivity: Sensitivity;
  peerValues: (ts: number) => number[];
}): Detector {
  const { label } = opts;
  const k = K[opts.sensitivity];
  // per minute: d, x, peer median, peer count
  const minutes = createMinuteMeans(4);
  const history: number[] = [];
  let ewma: number | null = null;
  let streak = 0;
  let learned: { center: number; scale: number } | null = null;
  let minutesSinceLearned = 0;
  let text: string | null = null;

  const closeMinute = ([d, x, peers, count]: number[], baselineScale: number) => {
    ewma = ewma === null ? d! : ALPHA * d! + (1 - ALPHA) * ewma;
    let out = false;
    let normal = true;
    if (history.length >= MIN_HISTORY) {
      // centred on the usual d: identical units still differ a little (sensor placement, calibration);
      // that standing offset is normal, a change from it is the finding
      if (learned === null || minutesSinceLearned >= RELEARN_MINUTES) {
        learned = { center: median(history), scale: robustScale(history) };
        minutesSinceLearned = 0;
      }
      minutesSinceLearned++;
      const center = learned.center;
      const scale = Math.max(learned.scale, baselineScale, LEVEL_FLOOR * Math.abs(peers!));
      const deviation = Math.abs(ewma - center);
      out = deviation > k * scale;
      normal = deviation <= LEARN_WITHIN * k * scale;
    }
    streak = out ? streak + 1 : 0;
    text = streak >= CONSECUTIVE ? `${label.name} ${formatValue(x!, label.unit)}, its peers ${formatValue(peers!, label.unit)} (median of ${Math.round(count!)})` : null;
    // learn only from minutes that are clearly normal: a divergence hovering near the threshold
    // would otherwise creep into the history and be learned away within hours
    if (normal) {
      history.push(d!);
      if (history.length > HISTORY) history.shift();
    }
  };

  return {
    observe(ts, value, baseline) {
      const peers = opts.peerValues(ts).filter(Number.isFinite);
      if (peers.length < 2) return;
      const peerMedian = median(peers);
      const closed = minutes.add(ts, [value - peerMedian, value, peerMedian, peers.length]);
      if (closed) closeMinute(closed.means, baseline?.scale ?? 0);
    },
    finding: () => ({ active: text !== null, text }),
  };
}
