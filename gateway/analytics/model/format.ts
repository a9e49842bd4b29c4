/** How findings word numbers and times, so every detector's message reads the same way. */
import type { BaselineKind, PointLabel } from '../types.js';

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MINUTE = 60_000;
const DAY = 86_400_000;

/** A value with decimals that suit its size (kW in hundreds: none; temperatures: one) and its unit. */
export function formatValue(value: number, unit: string | null): string {
  const abs = Math.abs(value);
  const decimals = abs >= 100 ? 0 : abs >= 1 || value === 0 ? 1 : 2;
  return withUnit(value.toFixed(decimals), unit);
}

/** A configured limit as written in the config: 27, not 27.0. */
export function formatLimit(limit: number, unit: string | null): string {
  return withUnit(String(Number(limit.toFixed(3))), unit);
}

/**
 * What an expectation is for, worded by the season the baseline learnt, so a message does not
 * claim more than the model knows: "for Tuesday 14:00" (hour of the week), "for a weekday at
 * 14:00" or "for a weekend day at 14:00" (the two day profiles), "at 14:00" (hour of the day);
 * null for `recent` (a flat level has no time).
 */
export function formatSeasonWhen(ts: number, kind: BaselineKind, label: PointLabel): string | null {
  const { weekday, clock } = localParts(ts, label);
  switch (kind) {
    case 'week':
      return `for ${WEEKDAYS[weekday]!} ${clock}`;
    case 'daytype':
      return weekday >= 5 ? `for a weekend day at ${clock}` : `for a weekday at ${clock}`;
    case 'day':
      return `at ${clock}`;
    case 'recent':
      return null;
  }
}

/** The local weekday (Monday 0) and "hh:mm" of a time, in the label's zone (minutes east of UTC). */
function localParts(ts: number, label: PointLabel): { weekday: number; clock: string } {
  const local = ts + (label.tzOffsetMin ?? 0) * MINUTE;
  const dayIndex = Math.floor(local / DAY);
  // 1970-01-01 was a Thursday: index 3 when Monday is 0
  const weekday = (((dayIndex + 3) % 7) + 7) % 7;
  const minuteOfDay = Math.floor((local - dayIndex * DAY) / MINUTE);
  const hh = String(Math.floor(minuteOfDay / 60)).padStart(2, '0');
  const mm = String(minuteOfDay % 60).padStart(2, '0');
  return { weekday, clock: `${hh}:${mm}` };
}

function withUnit(text: string, unit: string | null): string {
  if (!unit) return text;
  return unit === '%' ? `${text}${unit}` : `${text} ${unit}`;
}
