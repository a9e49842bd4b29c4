/**
 * The engine's state per watched point, in flat arrays indexed by a slot: when the point last had a
 * good sample, and its quiet band — the numbers a good reading may take without changing any of
 * the point's alarms in the state they are in now (a HI alarm at normal: anything up to its limit).
 *
 * Why: most readings change nothing, yet handing each one to each of its alarms meant visiting
 * objects scattered across the heap (alarm, closure, machine, rule, condition) for every sample —
 * at 10 k rules most of the engine's time went to those cache misses. A reading in its point's band
 * is now settled here with a few typed-array reads. Its value, which the alarms would have noted
 * for the record of a later transition, is kept here (`skipped`); an alarm reads it back before it
 * uses its last value (alarm.ts).
 *
 * A slot is made on first use and never reused, so an alarm may keep its point's slot.
 */
import { NO_NUMBERS, type NumberRange } from './conditions.js';

export interface WatchedPoints {
  /** the point's slot, made on first use */
  slotOf(pointId: string): number;
  /** the point's slot, if it has one */
  find(pointId: string): number | undefined;
  /** per slot: monotonic time of the last good sample, NaN for none yet */
  readonly lastGood: Float64Array;
  /** per slot: the quiet band (lo ≤ v ≤ hi, v ≠ hole); empty (lo > hi) while every reading must be evaluated */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  readonly hole: Float64Array;
  /** per slot: the value of the last reading settled by the band, and how many were (a change counter) */
  readonly skippedValue: Float64Array;
  readonly skippedCount: Float64Array;
  /**
   * An alarm of the slot changed its state: its band is empty until `settle` sets it again, so
   * every reading of the point is evaluated meanwhile (the same batch included).
   */
  unsettle(slot: number): void;
  /** Sets the bands of the slots unsettled since the last call; `band(slot)` intersects its alarms' ranges. */
  settle(band: (slot: number) => Readonly<NumberRange>): void;
  /** Sets one slot's band now. */
  setBand(slot: number, range: Readonly<NumberRange>): void;
}

export function createWatchedPoints(): WatchedPoints {
  const slots = new Map<string, number>();
  let capacity = 0;
  const arrays = {
    lastGood: new Float64Array(0),
    lo: new Float64Array(0),
    hi: new Float64Array(0),
    hole: new Float64Array(0),
    skippedValue: new Float64Array(0),
    skippedCount: new Float64Array(0),
  };
  const unsettled = new Set<number>();

  function grow(): void {
    capacity = Math.max(64, capacity * 2);
    for (const key of Object.keys(arrays) as Array<keyof typeof arrays>) {
      const next = new Float64Array(capacity);
      next.set(arrays[key]);
      arrays[key] = next;
    }
  }

  const points: WatchedPoints = {
    slotOf(pointId) {
      const known = slots.get(pointId);
      if (known !== undefined) return known;
      const slot = slots.size;
      if (slot >= capacity) grow();
      slots.set(pointId, slot);
      arrays.lastGood[slot] = Number.NaN;
      arrays.lo[slot] = NO_NUMBERS.lo;
      arrays.hi[slot] = NO_NUMBERS.hi;
      arrays.hole[slot] = Number.NaN;
      return slot;
    },
    find: (pointId) => slots.get(pointId),
    get lastGood() {
      return arrays.lastGood;
    },
    get lo() {
      return arrays.lo;
    },
    get hi() {
      return arrays.hi;
    },
    get hole() {
      return arrays.hole;
    },
    get skippedValue() {
      return arrays.skippedValue;
    },
    get skippedCount() {
      return arrays.skippedCount;
    },
    unsettle(slot) {
      arrays.lo[slot] = NO_NUMBERS.lo;
      arrays.hi[slot] = NO_NUMBERS.hi;
      unsettled.add(slot);
    },
    settle(band) {
      if (unsettled.size === 0) return;
      const list = [...unsettled];
      unsettled.clear();
      for (const slot of list) points.setBand(slot, band(slot));
    },
    setBand(slot, range) {
      arrays.lo[slot] = range.lo;
      arrays.hi[slot] = range.hi;
      arrays.hole[slot] = range.hole;
    },
  };
  return points;
}

/**
 * The store's point numbers (CommittedBatch.pointIds) → slots, learned on first sight: an array
 * read per reading instead of hashing its id string. `forget()` when the watched points change.
 */
export interface SlotsByNumber {
  slotOf(n: number, pointId: string): number | undefined;
  forget(): void;
}

export function createSlotsByNumber(resolve: (pointId: string) => number | undefined): SlotsByNumber {
  // per number: 0 not seen yet, -1 not watched, else slot + 1
  let known = new Int32Array(1024);
  return {
    slotOf(n, pointId) {
      if (!(n >= 0)) return resolve(pointId);
      if (n >= known.length) {
        const next = new Int32Array(Math.max(n + 1, known.length * 2));
        next.set(known);
        known = next;
      }
      const k = known[n]!;
      if (k !== 0) return k > 0 ? k - 1 : undefined;
      const slot = resolve(pointId);
      known[n] = slot === undefined ? -1 : slot + 1;
      return slot;
    },
    forget() {
      known.fill(0);
    },
  };
}
