/** How findings word numbers and times, so every detector's message reads the same way. */
import type { PointLabel } from '../types.js';

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

/** "Tuesday 14:05" in the label's local time (minutes east of UTC). */
export function formatWhen(ts: number, label: PointLabel): string {
  const local = ts + (label.tzOffsetMin ?? 0) * MINUTE;
  const dayIndex = Math.floor(local / DAY);
  // 1970-01-01 was a Thursday: index 3 when Monday is 0
  const weekday = WEEKDAYS[(((dayIndex + 3) % 7) + 7) % 7]!;
  const minuteOfDay = Math.floor((local - dayIndex * DAY) / MINUTE);
  const hh = String(Math.floor(minuteOfDay / 60)).padStart(2, '0');
  const mm = String(minuteOfDay % 60).padStart(2, '0');
  return `${weekday} ${hh}:${mm}`;
}

function withUnit(text: string, unit: string | null): string {
  if (!unit) return text;
  return unit === '%' ? `${text}${unit}` : `${text} ${unit}`;
}
