/**
 * What age retention may delete when the wall clock cannot be trusted. Readings are aged by their
 * wall-clock timestamps, and a Pi that booted in 2020 and then synchronised to 2026 has minutes-old
 * readings stamped six years ago: without this guard the next pass deleted all of them.
 *
 * - This run's readings are aged on the monotonic clock instead: each pass notes (monotonic time,
 *   last reading seq), and a reading of this run is old enough only when a note at least
 *   maxAgeDays old (monotonic) already covered its seq. So nothing written since the gateway
 *   started is deleted by age before the run itself is that old, whatever its timestamp says.
 * - After a wall-clock step (seen here between two passes: the wall moved more than 2 s off the
 *   monotonic clock) and for `STEP_CAP_MS` after it, one age pass deletes at most
 *   `maxShareAfterStep` of the stored readings, so an older backlog with doubtful timestamps goes
 *   gradually and the operator sees `retention.dropped` events and the `clock.stepped` event first.
 *
 * Readings of earlier runs keep the plain timestamp rule otherwise: nothing better is known of them.
 */
import { STEP_THRESHOLD_MS } from '../../core/clock.js';

const DAY_MS = 86_400_000;
/** how long after a step the per-pass cap applies */
export const STEP_CAP_MS = 3_600_000;

export interface AgeGuardOptions {
  wall: () => number;
  mono: () => number;
  /** the last reading seq when the store opened: readings above it are this run's */
  lastSeqAtStart: number;
  maxAgeDays: number;
  /** share (0..1) of the stored readings one age pass may delete after a step */
  maxShareAfterStep: number;
  lastSeq: () => number;
  readingCount: () => number;
}

export interface AgeLimit {
  /** age retention deletes no reading above this seq */
  holdSeq: number;
  /** rows this pass may delete by age (Infinity: no cap, no step within STEP_CAP_MS) */
  maxRows: number;
}

export interface AgeGuard {
  /** Called once at the start of each retention pass, with the wall time the pass ages against. */
  pass(wallNow: number): AgeLimit;
}

export function createAgeGuard(o: AgeGuardOptions): AgeGuard {
  const maxAgeMs = o.maxAgeDays * DAY_MS;
  /** ascending (monotonic time, last reading seq at that time); the first is the store's opening */
  const notes: Array<[mono: number, seq: number]> = [[o.mono(), o.lastSeqAtStart]];
  // From the opening on, so a step before the first pass counts too.
  let last = { wall: o.wall(), mono: o.mono() };
  let capUntil = Number.NEGATIVE_INFINITY;

  return {
    pass(wallNow) {
      const m = o.mono();
      if (Math.abs(wallNow - last.wall - (m - last.mono)) > STEP_THRESHOLD_MS) capUntil = m + STEP_CAP_MS;
      last = { wall: wallNow, mono: m };
      // At most ~1000 notes over maxAgeDays (a reading may outlive its age by 0.1 % of it).
      if (m - notes[notes.length - 1]![0] >= maxAgeMs / 1000) notes.push([m, o.lastSeq()]);
      // The newest note at least maxAgeMs old bounds this run's deletable seqs; older ones are not needed again.
      let i = -1;
      for (let k = 0; k < notes.length && notes[k]![0] <= m - maxAgeMs; k++) i = k;
      if (i > 0) notes.splice(0, i);
      const holdSeq = i >= 0 ? notes[0]![1] : o.lastSeqAtStart;
      const maxRows = m < capUntil ? Math.floor(o.maxShareAfterStep * o.readingCount()) : Number.POSITIVE_INFINITY;
      return { holdSeq, maxRows };
    },
  };
}
