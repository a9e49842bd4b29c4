/**
 * A batch of readings as numeric samples grouped by series, with what could not be a sample
 * counted by reason. A time-series database keeps numbers: booleans become 0/1; text, missing
 * values and bad-quality readings have no sample and are counted instead (target health shows
 * the counts, so nothing disappears silently).
 */
import type { Reading } from '../../core/types.js';
import type { Series, SeriesNamer } from './series-labels.js';

/**
 * `text`: a string value; `noValue`: null or not finite; `badQuality`: quality bad; `sameTimestamp`:
 * a second reading of a series at one timestamp in a batch; `beyondRetention`: older than the
 * receiver keeps (InfluxDB's retention policy dropped it and said so).
 */
export type SkipReason = 'text' | 'noValue' | 'badQuality' | 'sameTimestamp' | 'beyondRetention';

/** Readings left out since start, by reason (acknowledged batches only: a resend is not counted twice). */
export type SkippedReadings = Record<SkipReason, number>;

export const noSkips = (): SkippedReadings => ({ text: 0, noValue: 0, badQuality: 0, sameTimestamp: 0, beyondRetention: 0 });

/** One sample, shaped as remote_write's `Sample` message (the line-protocol writer reads the same objects). */
export interface TimedValue {
  timestamp: number;
  value: number;
}

export interface SeriesSamples {
  series: Series;
  /** sorted by time, one per timestamp */
  samples: TimedValue[];
}

export interface NumericBatch {
  series: SeriesSamples[];
  samples: number;
  skipped: SkippedReadings;
}

/** The sample value of a reading, or why it has none. `uncertain` readings keep their value. */
export function sampleValue(r: Reading): number | Exclude<SkipReason, 'sameTimestamp' | 'beyondRetention'> {
  if (r.quality === 'bad') return 'badQuality';
  const v = r.value;
  if (typeof v === 'number') return Number.isFinite(v) ? v : 'noValue';
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v === null ? 'noValue' : 'text';
}

export function numericBatch(rows: readonly Reading[], name: SeriesNamer): NumericBatch {
  const skipped = noSkips();
  const bySeries = new Map<string, SeriesSamples>();
  // Series whose readings came out of time order or with a repeated timestamp: tidied at the end (rare).
  const untidy = new Set<SeriesSamples>();
  let samples = 0;
  for (const r of rows) {
    const value = sampleValue(r);
    if (typeof value === 'string') {
      skipped[value]++;
      continue;
    }
    let s = bySeries.get(r.pointId);
    if (!s) {
      s = { series: name(r.pointId), samples: [] };
      bySeries.set(r.pointId, s);
    } else if (r.ts <= s.samples[s.samples.length - 1]!.timestamp) {
      untidy.add(s);
    }
    s.samples.push({ timestamp: r.ts, value });
    samples++;
  }
  for (const s of untidy) samples -= tidy(s, skipped);
  return { series: [...bySeries.values()], samples, skipped };
}

/**
 * Sorts by time (stable, so of two readings with one timestamp the later seq stays last) and keeps
 * one sample per timestamp: the engines keep one (Prometheus refuses a second, different value as
 * a "duplicate sample"). The later seq wins, as in the gateway's own history; the others are
 * counted. Returns how many were dropped.
 */
function tidy(s: SeriesSamples, skipped: SkippedReadings): number {
  const sorted = s.samples.map((x, i) => ({ x, i })).sort((a, b) => a.x.timestamp - b.x.timestamp || a.i - b.i);
  const kept: TimedValue[] = [];
  for (const { x } of sorted) {
    if (kept.length > 0 && kept[kept.length - 1]!.timestamp === x.timestamp) kept[kept.length - 1] = x;
    else kept.push(x);
  }
  const dropped = s.samples.length - kept.length;
  skipped.sameTimestamp += dropped;
  s.samples = kept;
  return dropped;
}

export function addSkips(into: SkippedReadings, from: SkippedReadings): void {
  for (const k of Object.keys(into) as SkipReason[]) into[k] += from[k];
}
