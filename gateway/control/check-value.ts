/**
 * The value checks of a write, before anything reaches a device: is it the point's kind of value
 * (bad-value), and inside the point's `write` limits (out-of-range)? Pure, so the refusal matrix is
 * easy to test.
 */
import type { WriteSpec } from '../../core/write-spec.js';
import type { PointValue } from '../../core/types.js';
import type { WriteRefusal } from './types.js';

/** What kind of value a point takes, as far as the service can tell without the driver's point. */
export type ValueKind = 'number' | 'boolean' | 'label' | 'any';

/**
 * From the spec (values, or numeric limits) first, else from the point's last value; `any` leaves
 * the type check to the driver (a point never read yet, with a bare `write: {}`).
 */
export function valueKindOf(spec: WriteSpec, latest: PointValue | undefined): ValueKind {
  const values = spec.values;
  if (values?.every((v) => typeof v === 'boolean')) return 'boolean';
  if (values?.every((v) => typeof v === 'string')) return 'label';
  if (values?.every((v) => typeof v === 'number')) return 'number';
  if (spec.min !== undefined || spec.max !== undefined || spec.step !== undefined) return 'number';
  if (typeof latest === 'number') return 'number';
  if (typeof latest === 'boolean') return 'boolean';
  if (typeof latest === 'string') return 'label';
  return 'any';
}

export type ValueCheck = { ok: true; value: number | boolean | string } | { ok: false; reason: WriteRefusal; message: string };

/** Relative tolerance of the step check, so 0.1 + 0.2 counts as a multiple of 0.1. */
const STEP_EPSILON = 1e-9;

export function checkValue(spec: WriteSpec, kind: ValueKind, value: unknown): ValueCheck {
  const refuse = (reason: WriteRefusal, message: string): ValueCheck => ({ ok: false, reason, message });
  const shown = JSON.stringify(value) ?? String(value);
  switch (kind) {
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return refuse('bad-value', `${shown} is not a number`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return refuse('bad-value', `${shown} is not true or false`);
      break;
    case 'label':
      if (typeof value !== 'string') return refuse('bad-value', `${shown} is not one of the point's labels`);
      break;
    default:
      if (!(typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))) {
        return refuse('bad-value', `${shown} is not a number, boolean or text`);
      }
  }
  const v = value as number | boolean | string;
  if (spec.values && !spec.values.some((allowed) => allowed === v)) {
    return refuse('out-of-range', `${shown} is not one of ${spec.values.map((x) => JSON.stringify(x)).join(', ')}`);
  }
  if (typeof v === 'number') {
    if (spec.min !== undefined && v < spec.min) return refuse('out-of-range', `${v} is below the minimum ${spec.min}`);
    if (spec.max !== undefined && v > spec.max) return refuse('out-of-range', `${v} is above the maximum ${spec.max}`);
    if (spec.step !== undefined && !onStep(v, spec.min ?? 0, spec.step)) {
      return refuse('out-of-range', `${v} is not on the step ${spec.step}${spec.min !== undefined ? ` from ${spec.min}` : ''}`);
    }
  }
  return { ok: true, value: v };
}

/** value = base + k·step for a whole k, with a float tolerance (21.3 on a 0.1 grid). */
export function onStep(value: number, base: number, step: number): boolean {
  const k = (value - base) / step;
  return Math.abs(k - Math.round(k)) <= STEP_EPSILON * Math.max(1, Math.abs(k));
}

/**
 * Whether a read-back value is the one written: numbers within a relative 1e-6 (a float32 register
 * or a ×0.1 scale does not give back the exact double), everything else equal. A device that
 * reports a boolean as 0/1 still matches.
 */
export function sameValue(written: number | boolean | string, read: PointValue): boolean {
  if (read === null) return false;
  if (typeof written === 'number' && typeof read === 'number') {
    return Math.abs(written - read) <= Math.max(1e-9, 1e-6 * Math.max(Math.abs(written), Math.abs(read)));
  }
  if (typeof written === 'boolean' && typeof read === 'number') return read === (written ? 1 : 0);
  if (typeof written === 'number' && typeof read === 'boolean') return written === (read ? 1 : 0);
  return written === read;
}
