/**
 * anomaly.peer: one unit deviating from its identical siblings (one CRAC of four). The deviation
 * d = x − median(peers) removes what all units share (load, weather, time of day), so a fault
 * in one unit stands out even while every value is inside its own band.
 *
 * The median of an even number of peers is any value between the two middle ones, and d is taken
 * to the one nearest the unit. With two peers (one of four units out for a few minutes) the middle
 * of the two is their mean, not robust at all: while one of them had a fault of its own, the two
 * healthy units were both "apart from their peers" (the larger labelled evaluation: every one of
 * its 11 false peer alarms, ~7 per 100 point-days). Taken to the nearer peer, a healthy unit stays
 * with the healthy peer, and a unit that is itself apart is still apart from both.
 *
 * Only trustworthy peers make the reference: the caller leaves out a peer that has a finding of
 * its own (any of its analytics checks active) or is past one of its alarm limits (pastLimit in
 * limits.ts). Its fault is its own alarm's business, and with it in the reference the median of
 * three is no longer the middle of three healthy units but the nearer edge of the other two: a
 * healthy unit then sat a unit-to-unit spread away from its usual deviation for as long as the
 * peer's fault lasted (the larger evaluation, seed 17: 1.27 false peer alarms per 100 point-days).
 * A unit is judged only against two trustworthy peers or more; with fewer there is no peer
 * judgement at all (its finding returns, `judging` is false) until they are back.
 */
import type { BaselineModel, Detector, Finding, PointLabel, Sensitivity } from '../../types.js';
import { formatValue } from '../format.js';
import { createMinuteMeans } from '../minute-means.js';
import { robustStats } from '../robust.js';

const K: Record<Sensitivity, number> = { low: 6, medium: 4.5, high: 3 };
/** EWMA weight of the newest minute: smooths noise, follows a real divergence within a few minutes */
const ALPHA = 0.3;
/**
 * The spread is learned from a day of d, one minute in HISTORY_EVERY: d moves with each unit's own
 * wander (an hour or more) and its compressor cycle (10–20 min), so neighbouring minutes say much
 * the same and every fourth minute gives the same median and MAD. 360 numbers a point, held as
 * 32-bit floats in a ring (1.4 KB a point, where every minute of the day took 5.6 KB; d needs no
 * more than the 7 digits a float keeps).
 */
const HISTORY_EVERY = 4;
const HISTORY = 1440 / HISTORY_EVERY;
/** the ring starts this small and doubles up to HISTORY, so a new point holds little */
const HISTORY_START = 16;
/** no judgement before this many minutes of d (held one in HISTORY_EVERY): the spread would be a guess */
const MIN_HISTORY = Math.ceil(30 / HISTORY_EVERY);
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
/**
 * One sample per 10 s of a point is judged, the spacing the labelled evaluation measures the
 * check at (its series are 10 s apart): a minute mean of 6 samples or 60 is the same judgement,
 * and at 1 Hz the peer check was over a third of analytics' time per commit.
 */
const SPACING_MS = 10_000;

export function createPeerDetector(opts: {
  label: PointLabel;
  sensitivity: Sensitivity;
  /** the latest values of the trustworthy peers (see the file comment): those with no finding of their own, inside their limits */
  peerValues: (ts: number) => number[];
}): Detector & { isActive(now: number): boolean; readonly judging: boolean } {
  return new PeerDetector(opts.label, K[opts.sensitivity], opts.peerValues);
}

/**
 * The peers' finite values of one sample, sorted in place: one array for every detector (a
 * sample is judged to the end before the next; a few numbers: no allocation per sample).
 */
let scratch = new Float64Array(8);

function peerMedian(values: readonly number[]): { median: number; lower: number; upper: number; count: number } | null {
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
  const lower = n % 2 === 1 ? scratch[mid]! : scratch[mid - 1]!;
  const upper = scratch[mid]!;
  return { median: (lower + upper) / 2, lower, upper, count: n };
}

/** A class, not closures: its methods are shared by the 1 000 points' detectors (closures cost ~1 KB a point). */
class PeerDetector implements Detector {
  // per minute: d, x, peer median, peer count
  private readonly minutes = createMinuteMeans(4);
  private readonly history = new History();
  private ewma: number | null = null;
  private streak = 0;
  private learned: { center: number; scale: number } | null = null;
  private minutesSinceLearned = 0;
  /** normal minutes seen: one in HISTORY_EVERY is kept */
  private normalMinutes = 0;
  private text: string | null = null;
  /** false while fewer than two trustworthy peers report: no peer judgement then */
  judging = false;
  /** the last sample judged (see SPACING_MS) */
  private observedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly label: PointLabel,
    private readonly k: number,
    private readonly peerValues: (ts: number) => number[],
  ) {}

  private closeMinute([d, x, peers, count]: number[], baselineScale: number): void {
    const { k, label, history } = this;
    const ewma = this.ewma === null ? d! : ALPHA * d! + (1 - ALPHA) * this.ewma;
    this.ewma = ewma;
    let out = false;
    let normal = true;
    if (history.size >= MIN_HISTORY) {
      // centred on the usual d: identical units still differ a little (sensor placement, calibration);
      // that standing offset is normal, a change from it is the finding
      if (this.learned === null || this.minutesSinceLearned >= RELEARN_MINUTES) {
        this.learned = robustStats(history.values());
        this.minutesSinceLearned = 0;
      }
      this.minutesSinceLearned++;
      const center = this.learned.center;
      const scale = Math.max(this.learned.scale, baselineScale, LEVEL_FLOOR * Math.abs(peers!));
      const deviation = Math.abs(ewma - center);
      out = deviation > k * scale;
      normal = deviation <= LEARN_WITHIN * k * scale;
    }
    this.streak = out ? this.streak + 1 : 0;
    this.text =
      this.streak >= CONSECUTIVE ? `${label.name} ${formatValue(x!, label.unit)}, its peers ${formatValue(peers!, label.unit)} (median of ${Math.round(count!)})` : null;
    // learn only from minutes that are clearly normal: a divergence hovering near the threshold
    // would otherwise creep into the history and be learned away within hours
    if (normal && this.normalMinutes++ % HISTORY_EVERY === 0) history.push(d!);
  }

  observe(ts: number, value: number, baseline: BaselineModel | null): void {
    // a clock stepped back (ts before the last) is judged at once, not skipped for its distance
    if (ts - this.observedAt < SPACING_MS && ts >= this.observedAt) return;
    this.observedAt = ts;
    const peers = peerMedian(this.peerValues(ts));
    this.judging = peers !== null;
    if (!peers) {
      // no fair reference: whatever was found against the old one is not held on to
      this.streak = 0;
      this.text = null;
      return;
    }
    // x less its clamp into [lower, upper] middle: 0 inside it (always for an odd count, whose two are one)
    const d = value - Math.min(peers.upper, Math.max(peers.lower, value));
    const closed = this.minutes.add(ts, [d, value, peers.median, peers.count]);
    if (closed) this.closeMinute(closed.means, baseline?.scale ?? 0);
  }

  finding(): Finding {
    return { active: this.text !== null, text: this.text };
  }

  isActive(): boolean {
    return this.text !== null;
  }
}

/** The last HISTORY values of d, oldest overwritten first (their order does not matter: median and MAD). */
class History {
  private ring = new Float32Array(HISTORY_START);
  size = 0;
  private next = 0;

  push(d: number): void {
    if (this.size === this.ring.length && this.size < HISTORY) {
      const grown = new Float32Array(Math.min(HISTORY, this.ring.length * 2));
      grown.set(this.ring);
      this.ring = grown;
      // it was full and not yet wrapped: the next slot is the first new one
      this.next = this.size;
    }
    this.ring[this.next] = d;
    this.next = (this.next + 1) % this.ring.length;
    this.size = Math.min(this.size + 1, this.ring.length);
  }

  values(): Float32Array {
    return this.ring.subarray(0, this.size);
  }
}
