/**
 * Raw alarm conditions from one value. `undefined` means "cannot tell" (a text where a number was
 * expected): the alarm then keeps its condition, as it does for bad-quality samples, so a
 * communication fault never clears (or raises) a process alarm.
 */
import type { PointValue } from '../../core/types.js';
import type { AlarmRule, DiscreteMatch, LimitLevel } from './types.js';

export function discreteCondition(match: DiscreteMatch, value: PointValue): boolean | undefined {
  switch (match.op) {
    case 'equals':
      return value === match.value;
    case 'not-equals':
      return value !== match.value;
    case 'in':
      return match.values.includes(value);
    case 'bit-set':
      if (typeof value === 'boolean') return match.bit === 0 ? value : undefined;
      if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
      return Math.floor(value / 2 ** match.bit) % 2 === 1;
  }
}

/**
 * Rate of change: the change between the newest sample and the newest one at least a window
 * older, in units per minute. No rate until a full window of samples exists, so a restart or the
 * first samples never raise on a partial window.
 */
export interface RateWindow {
  /** Adds a sample; returns the rate in units per minute, or undefined without a full window. */
  add(ts: number, value: number): number | undefined;
}

export function createRateWindow(windowMs: number): RateWindow {
  const times: number[] = [];
  const values: number[] = [];
  let head = 0;
  return {
    add(ts, value) {
      if (times.length > head && ts <= times[times.length - 1]!) return undefined;
      times.push(ts);
      values.push(value);
      // Keep one sample at or before the window's start as the baseline; skip older ones.
      while (head + 1 < times.length && times[head + 1]! <= ts - windowMs) head++;
      // Compact now and then rather than shifting on every sample.
      if (head > 32 && head * 2 > times.length) {
        times.splice(0, head);
        values.splice(0, head);
        head = 0;
      }
      const t0 = times[head]!;
      if (ts - t0 < windowMs) return undefined;
      return ((value - values[head]!) / (ts - t0)) * 60_000;
    },
  };
}

export function rateCondition(rate: number | undefined, perMinute: number, direction: 'rise' | 'fall' | 'both'): boolean | undefined {
  if (rate === undefined) return undefined;
  if (direction === 'rise') return rate > perMinute;
  if (direction === 'fall') return rate < -perMinute;
  return Math.abs(rate) > perMinute;
}

/**
 * A rule's condition, specialised once per alarm: evaluation is the hot path (every committed
 * sample). HI/HIHI raise when the value is above the limit and return once it is below
 * limit − deadband; LO/LOLO mirror that. Exactly at limit − deadband an active alarm stays active
 * ("back past"). `v - v === 0` is a finite-number test without a call.
 */
export type Condition = (value: PointValue, ts: number, wasActive: boolean) => boolean | undefined;

const never: Condition = () => undefined;

export function createCondition(rule: AlarmRule, level: LimitLevel | null, limit: number | null): Condition {
  switch (rule.type) {
    case 'limit': {
      const raise = limit!;
      if (level === 'hi' || level === 'hihi') {
        const clear = raise - rule.deadband;
        return (v, _ts, was) => (typeof v === 'number' && v - v === 0 ? (was ? v >= clear : v > raise) : undefined);
      }
      const clear = raise + rule.deadband;
      return (v, _ts, was) => (typeof v === 'number' && v - v === 0 ? (was ? v <= clear : v < raise) : undefined);
    }
    case 'discrete': {
      const match = rule.match;
      if (match.op === 'equals') return (v) => v === match.value;
      if (match.op === 'not-equals') return (v) => v !== match.value;
      return (v) => discreteCondition(match, v);
    }
    case 'rate': {
      const window = createRateWindow(rule.windowS * 1000);
      const { perMinute, direction } = rule;
      return (v, ts) => (typeof v === 'number' && v - v === 0 ? rateCondition(window.add(ts, v), perMinute, direction) : undefined);
    }
    default:
      // stale, comm-loss, system and analytics alarms are driven by time, not by values
      return never;
  }
}

/**
 * A set of finite numbers as a closed interval, less one value (`hole`, NaN for none). A quiet
 * range is where a reading changes nothing; an empty interval (lo > hi) holds no number.
 */
export interface NumberRange {
  lo: number;
  hi: number;
  hole: number;
}

export const ALL_NUMBERS: Readonly<NumberRange> = Object.freeze({ lo: -Infinity, hi: Infinity, hole: Number.NaN });
export const NO_NUMBERS: Readonly<NumberRange> = Object.freeze({ lo: Infinity, hi: -Infinity, hole: Number.NaN });

/**
 * The finite numbers for which the rule's condition, evaluated with `wasActive`, comes out as
 * `wasActive` again: values that leave a settled condition as it is. NO_NUMBERS where one range
 * cannot say it (rate windows must see every sample; bit tests and `in` with several numbers).
 * Every such value makes the condition defined, so the alarm would have noted it as its value.
 */
export function steadyRange(rule: AlarmRule, level: LimitLevel | null, limit: number | null, wasActive: boolean): Readonly<NumberRange> {
  switch (rule.type) {
    case 'limit': {
      const raise = limit!;
      if (level === 'hi' || level === 'hihi') {
        return wasActive ? { lo: raise - rule.deadband, hi: Infinity, hole: Number.NaN } : { lo: -Infinity, hi: raise, hole: Number.NaN };
      }
      return wasActive ? { lo: -Infinity, hi: raise + rule.deadband, hole: Number.NaN } : { lo: raise, hi: Infinity, hole: Number.NaN };
    }
    case 'discrete': {
      const match = rule.match;
      if (match.op === 'bit-set') return NO_NUMBERS;
      const numbers = match.op === 'in' ? match.values.filter(isNumber) : isNumber(match.value) ? [match.value] : [];
      if (numbers.length === 0) {
        // no number matches: a number leaves `equals`/`in` inactive and makes `not-equals` active
        return (match.op === 'not-equals') === wasActive ? ALL_NUMBERS : NO_NUMBERS;
      }
      if (numbers.some((n) => n !== numbers[0])) return NO_NUMBERS;
      const x = numbers[0]!;
      // `matches` true: the condition holds exactly at x (equals, in); false: everywhere but x
      const matches = match.op !== 'not-equals';
      return matches === wasActive ? { lo: x, hi: x, hole: Number.NaN } : { lo: -Infinity, hi: Infinity, hole: x };
    }
    default:
      return NO_NUMBERS;
  }
}

function isNumber(v: PointValue): v is number {
  return typeof v === 'number';
}
