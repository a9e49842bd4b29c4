/**
 * Report-by-exception storage (issue 19): a point with a store policy gets a row in `readings`
 * only when its value moved beyond the deadband from the last *stored* value, its heartbeat is
 * due, its quality (or reason) changed, or it is the point's first reading since the store
 * opened. Everything else is still committed to subscribers (alarms, incidents, analytics, the
 * live page) and to the latest-value view, just without a row and without a seq: an SD card
 * wears with every page written, and most readings of a steady plant repeat the last one.
 *
 * The reference (the last stored value) moves only when a commit succeeds: a failed commit rolls
 * it back, so the retried chunk decides exactly the same way. It lives in memory only, so the
 * first reading of every point after a restart (clean or kill -9) is stored: the history then
 * never depends on a reference that a crash took with it, and a receiver sees a fresh value at
 * every start.
 */
import type { StorePolicy } from '../../core/store-policy.js';
import type { PointValue, Quality, Sample } from '../../core/types.js';

export type { StorePolicy };

/** What the filter remembers of a point: its policy and the last reading it let through. */
export interface PointReference {
  readonly band: number;
  readonly relative: boolean;
  readonly heartbeatMs: number;
  /** false until a reading of the point was stored in this run */
  seen: boolean;
  value: PointValue;
  ts: number;
  quality: Quality;
  reason: string | null;
}

export function pointReference(policy: StorePolicy): PointReference {
  const relative = policy.deadbandPct !== undefined;
  return {
    band: relative ? policy.deadbandPct! / 100 : (policy.deadband ?? 0),
    relative,
    heartbeatMs: policy.heartbeatS * 1000,
    seen: false,
    value: null,
    ts: 0,
    quality: 'good',
    reason: null,
  };
}

/** Whether `s` must be stored, given the point's last stored reading. */
export function mustStore(ref: PointReference, s: Sample): boolean {
  if (!ref.seen) return true;
  if (s.quality !== ref.quality || (s.reason ?? null) !== ref.reason) return true;
  if (s.ts - ref.ts >= ref.heartbeatMs) return true;
  const v = s.value;
  const last = ref.value;
  if (typeof v === 'number' && typeof last === 'number') {
    // NaN never compares beyond a band: a NaN appearing or going away is a change of its own.
    if (Number.isNaN(v) || Number.isNaN(last)) return Number.isNaN(v) !== Number.isNaN(last);
    const band = ref.relative ? Math.abs(last) * ref.band : ref.band;
    return Math.abs(v - last) > band;
  }
  // booleans, text, null, and a value that changed type: any change
  return v !== last;
}

export interface ExceptionFilter {
  /**
   * Which of `samples` get a row (1) and which do not (0); undefined when every one does (no
   * sample has a policy). The references move at once, so a later sample of the same point in
   * the chunk is judged against an earlier one; `settle` or `undo` must follow.
   */
  select(samples: readonly Sample[]): Uint8Array | undefined;
  /** The chunk committed: its decisions stand. */
  settle(): void;
  /** The chunk's transaction rolled back: the references go back to before `select`. */
  undo(): void;
}

type Saved = [ref: PointReference, seen: boolean, value: PointValue, ts: number, quality: Quality, reason: string | null];

export function createExceptionFilter(policies: ReadonlyMap<string, StorePolicy>): ExceptionFilter | undefined {
  if (policies.size === 0) return undefined;
  const refs = new Map<string, PointReference>();
  for (const [pointId, policy] of policies) refs.set(pointId, pointReference(policy));
  let saved: Saved[] = [];

  return {
    select(samples) {
      let keep: Uint8Array | undefined;
      for (let i = 0; i < samples.length; i++) {
        const s = samples[i]!;
        const ref = refs.get(s.pointId);
        if (ref === undefined) {
          if (keep) keep[i] = 1;
          continue;
        }
        if (!keep) {
          keep = new Uint8Array(samples.length);
          keep.fill(1, 0, i);
        }
        if (!mustStore(ref, s)) continue;
        keep[i] = 1;
        saved.push([ref, ref.seen, ref.value, ref.ts, ref.quality, ref.reason]);
        ref.seen = true;
        ref.value = s.value;
        ref.ts = s.ts;
        ref.quality = s.quality;
        ref.reason = s.reason ?? null;
      }
      return keep;
    },
    settle() {
      saved = [];
    },
    undo() {
      for (let i = saved.length - 1; i >= 0; i--) {
        const [ref, seen, value, ts, quality, reason] = saved[i]!;
        ref.seen = seen;
        ref.value = value;
        ref.ts = ts;
        ref.quality = quality;
        ref.reason = reason;
      }
      saved = [];
    },
  };
}

/** With report-by-exception, the latest-value checkpoint waits for this many stored readings... */
export const PACED_CHECKPOINT_ROWS = 50_000;
/** ...or this many checkpoint intervals (a minute at the default 5 s), whichever comes first. */
export const PACED_CHECKPOINT_INTERVALS = 12;

/**
 * The latest-value checkpoint timer's job when report-by-exception is on. A checkpoint upserts
 * every point a stored reading touched, which rewrites most pages of the small `latest` table (a
 * third of what a report-by-exception store wrote in the bench). What it saves is replay at open
 * (the stored readings after it), so it is paced by how many readings a reopen would replay:
 * 50 k (what 5 s of a 10 k-point site stores without the filter), or a minute at most.
 */
export function pacedCheckpoint(lastSeq: () => number, checkpoint: () => void): () => void {
  let seqAtLast = lastSeq();
  let intervals = 0;
  return () => {
    intervals++;
    if (intervals < PACED_CHECKPOINT_INTERVALS && lastSeq() - seqAtLast < PACED_CHECKPOINT_ROWS) return;
    intervals = 0;
    seqAtLast = lastSeq();
    checkpoint();
  };
}
