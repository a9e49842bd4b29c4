/**
 * Checks samples at append time. A malformed sample (a driver bug) is stored as a bad-quality
 * reading instead of entering the queue, where SQLite would refuse it and block every later commit.
 */
import type { Logger } from '../../core/logger.js';
import type { Sample } from '../../core/types.js';
import { isPointValue, isQuality } from './value-codec.js';

export function createSampleGuard(logger: Logger, now: () => number): (s: Sample) => Sample {
  const reported = new Set<string>();
  return (s) => {
    if (typeof s.pointId !== 'string' || s.pointId === '') throw new TypeError('a sample needs a pointId');
    const tsOk = typeof s.ts === 'number' && Number.isFinite(s.ts);
    const reasonOk = s.reason == null || typeof s.reason === 'string';
    if (tsOk && isPointValue(s.value) && isQuality(s.quality) && reasonOk) return s;
    if (!reported.has(s.pointId)) {
      reported.add(s.pointId);
      logger.warn('invalid sample stored as bad quality', { pointId: s.pointId, ts: s.ts, quality: s.quality });
    }
    return { pointId: s.pointId, ts: tsOk ? s.ts : now(), value: null, quality: 'bad', reason: 'invalid-sample' };
  };
}
