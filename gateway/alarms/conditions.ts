/**
 * Raw alarm conditions from one value. `undefined` means "cannot tell" (a text where a number was
 * expected): the alarm then keeps its condition, as it does for bad-quality samples, so a
 * communication fault never clears (or raises) a process alarm.
 */
import type { PointValue } from '../types.js';
import type { DiscreteMatch, LimitLevel } from './types.js';

/**
 * HI/HIHI raise when the value is above the limit and return once it is below limit − deadband;
 * LO/LOLO mirror that. Exactly at limit − deadband an active alarm stays active ("back past").
 */
export function limitCondition(
  level: LimitLevel,
  limit: number,
  deadband: number,
  value: PointValue,
  wasActive: boolean,
): boolean | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (level === 'hi' || level === 'hihi') return wasActive ? value >= limit - deadband : value > limit;
  return wasActive ? value <= limit + deadband : value < limit;
}

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
