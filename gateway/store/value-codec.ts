/**
 * How a sample's value and quality sit in SQLite. The `quality` column holds the quality code in
 * its low two bits and a boolean flag in bit 2, so a boolean comes back as a boolean without an
 * extra column. A good non-boolean reading has quality 0, which SQLite stores in zero bytes.
 */
import type { PointValue, Quality } from '../../core/types.js';

const BOOLEAN_FLAG = 4;
const QUALITY_MASK = 3;

const QUALITY_OF: readonly Quality[] = ['good', 'uncertain', 'bad', 'bad'];

export type BoundValue = number | string | bigint | null;

/** Booleans are bound as the integers 0/1 (bigint so SQLite stores them as INTEGER, in 0 bytes). */
export function bindValue(value: PointValue): BoundValue {
  if (typeof value === 'boolean') return value ? 1n : 0n;
  return value;
}

export function qualityCode(quality: Quality, value: PointValue): number {
  // good 0, uncertain 1, bad 2 (QUALITY_OF is the inverse)
  const code = quality === 'good' ? 0 : quality === 'bad' ? 2 : 1;
  return typeof value === 'boolean' ? code | BOOLEAN_FLAG : code;
}

export function decodeQuality(code: number): Quality {
  return QUALITY_OF[code & QUALITY_MASK]!;
}

export function decodeValue(raw: unknown, code: number): PointValue {
  if (raw === null || raw === undefined) return null;
  if (code & BOOLEAN_FLAG) return raw !== 0;
  if (typeof raw === 'number' || typeof raw === 'string') return raw;
  // A BLOB or bigint never comes from this store; a foreign writer put it there.
  return String(raw);
}

export function isPointValue(value: unknown): value is PointValue {
  return value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean';
}

export function isQuality(value: unknown): value is Quality {
  return value === 'good' || value === 'uncertain' || value === 'bad';
}
