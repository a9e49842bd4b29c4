/**
 * A point's `write:` block: the only way a point becomes writable (issue 14). Points without it
 * cannot be written by any route. Shared by every driver's point schema, so a profile or a site
 * file declares a writable setpoint the same way whatever the protocol.
 */
import { z } from 'zod';
import type { PointValue } from './types.js';

export const WRITE_ROLES = ['operator', 'admin'] as const;
export type WriteRole = (typeof WRITE_ROLES)[number];

export const DEFAULT_WRITE_TIMEOUT_MS = 5000;

export interface WriteSpec {
  /** engineering-unit bounds of a numeric value (inclusive) */
  min?: number;
  max?: number;
  /** a numeric value must be min + k·step (or k·step without min) */
  step?: number;
  /** the allowed values of an enum (its labels) or boolean point; none: any value of the point's type */
  values?: Array<number | boolean | string>;
  /** the least role that may write (the `ems` role only when control.allowEms) */
  role: WriteRole;
  /** the page asks a second time, showing old → new value */
  confirm: boolean;
  /** read the point back after writing until it matches or timeoutMs passes */
  readBack: boolean;
  timeoutMs: number;
}

export const writeSpecSchema = z
  .strictObject({
    min: z.number().optional(),
    max: z.number().optional(),
    step: z.number().positive().optional(),
    values: z.array(z.union([z.number(), z.boolean(), z.string()])).min(1).optional(),
    role: z.enum(WRITE_ROLES).default('operator'),
    confirm: z.boolean().default(true),
    readBack: z.boolean().default(true),
    timeoutMs: z.int().min(100).max(600_000).default(DEFAULT_WRITE_TIMEOUT_MS),
  })
  .refine((w) => w.min === undefined || w.max === undefined || w.min <= w.max, { message: 'min is above max', path: ['min'] });

/** What a driver's write() is given: the point's id and the engineering value the service checked. */
export type WriteValue = Exclude<PointValue, null>;
