/** The alarm limits a point's forecast is checked against: the levels of its limit rules. */
import { type AlarmRule, LIMIT_LEVELS } from '../alarms/types.js';
import type { LimitLine } from './types.js';

/** Whether a value is past one of the limit lines (above a HI/HIHI, below a LO/LOLO): its limit alarm's condition, before its delays. */
export function pastLimit(value: number, lines: readonly LimitLine[]): boolean {
  for (const l of lines) {
    if ((l.level === 'hi' || l.level === 'hihi') && value > l.limit) return true;
    if ((l.level === 'lo' || l.level === 'lolo') && value < l.limit) return true;
  }
  return false;
}

export function limitLinesByPoint(rules: readonly AlarmRule[]): (pointId: string) => LimitLine[] {
  const byPoint = new Map<string, LimitLine[]>();
  for (const rule of rules) {
    if (rule.type !== 'limit') continue;
    const lines = byPoint.get(rule.point) ?? [];
    for (const level of LIMIT_LEVELS) {
      const spec = rule.levels[level];
      if (spec) lines.push({ level, limit: spec.limit });
    }
    byPoint.set(rule.point, lines);
  }
  return (pointId) => byPoint.get(pointId) ?? [];
}
