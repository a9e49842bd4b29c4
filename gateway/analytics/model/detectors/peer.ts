/**
 * anomaly.peer: one unit deviating from its identical siblings (one CRAC of four). The deviation
 * d = x − median(peers) removes what all units share (load, weather, time of day), so a fault
 * in one unit stands out even while every value is inside its own band.
 */
import type { Detector, PointLabel, Sensitivity } from '../../types.js';
import { formatValue } from '../format.js';
import { createMinuteMeans } from '../minute-means.js';
import { robustStats } from '../robust.js';

const K: Record<Sensitivity, number> = { low: 6, medium: 4.5, high: 3 };
/** EWMA weight of the newest minute: smooths noise, follows a real divergence within a few minutes */
const ALPHA = 0.3;
/**
 * minutes of d the spread is learned from: a day, 1440 numbers a point, held as 32-bit floats in a
 * ring (5.6 KB a point, where an array of doubles grown by push was over 11 KB; d needs no more
 * than the 7 digits a float keeps)
 */
const HISTORY = 1440;
/** the ring starts this small and doubles up to HISTORY, so a new point holds little */
const HISTORY_START = 64;
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
}): Detector & { isActive(now: number): boolean } {
  const { label } = opts;
  const k = K[opts.sensitivity];
  // per minute: d, x, peer median, peer count
  const minutes = createMinuteMeans(4);
  const history = createHistory();
  let ewma: number | null = null;
  let streak = 0;
  let learned: { center: number; scale: number } | null = null;
  let minutesSinceLearned = 0;
  let text: string | null = null;

  const closeMinute = ([d, x, peers, count]: number[], baselineScale: number) => {
    ewma = ewma === null ? d! : ALPHA * d! + (1 - ALPHA) * ewma;
    let out = false;
    let normal = true;
    if (history.size() >= MIN_HISTORY) {
      // centred on the usual d: identical units still differ a little (sensor placement, calibration);
      // that standing offset is normal, a change from it is the finding
      if (learned === null || minutesSinceLearned >= RELEARN_MINUTES) {
        learned = robustStats(history.values());
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
    if (normal) history.push(d!);
  };

  /** the peers' finite values of one sample, sorted in place (a few numbers: no allocation per sample) */
  let scratch = new Float64Array(8);
  const peerMedian = (values: readonly number[]): { median: number; count: number } | null => {
    if (values.length > scratch.length) scratch = new Float64Array(values.length);
    let n = 0;
    for (const v of values) {
      if (!Number.isFinite(v)) continue;
      // insertion sort: the groups are a handful of identical units
      let i = n++;
      while (i > 0 && scratch[i - 1]! > v) {
        scratch[i] = scratch[i - 1]!;
        i--;
      }
      scratch[i] = v;
    }
    if (n < 2) return null;
    const mid = n >> 1;
    return { median: n % 2 === 1 ? scratch[mid]! : (scratch[mid - 1]! + scratch[mid]!) / 2, count: n };
  };

  return {
    observe(ts, value, baseline) {
      const peers = peerMedian(opts.peerValues(ts));
      if (!peers) return;
      const closed = minutes.add(ts, [value - peers.median, value, peers.median, peers.count]);
      if (closed) closeMinute(closed.means, baseline?.scale ?? 0);
    },
    finding: () => ({ active: text !== null, text }),
    isActive: () => text !== null,
  };
}

/** The last HISTORY values of d, oldest overwritten first (their order does not matter: median and MAD). */
function createHistory() {
  let ring = new Float32Array(HISTORY_START);
  let size = 0;
  let next = 0;
  return {
    size: () => size,
    push(d: number) {
      if (size === ring.length && size < HISTORY) {
        const grown = new Float32Array(Math.min(HISTORY, ring.length * 2));
        grown.set(ring);
        ring = grown;
        // it was full and not yet wrapped: the next slot is the first new one
        next = size;
      }
      ring[next] = d;
      next = (next + 1) % ring.length;
      size = Math.min(size + 1, ring.length);
    },
    values: () => ring.subarray(0, size),
  };
}
