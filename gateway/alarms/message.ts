/** Alarm message templates: `Supply air {value}{unit}` → `Supply air 27.4°C`. */
import type { PointValue } from '../../core/types.js';
import type { AlarmRule, LimitLevel } from './types.js';

export interface MessageContext {
  id: string;
  value: PointValue;
  unit: string | null;
  /** the point's (or device's) human name */
  name: string;
  point: string | null;
  device: string | null;
  /** the device's human name */
  deviceName: string;
  severity: string;
  level: LimitLevel | null;
  limit: number | null;
}

const PLACEHOLDER = /\{(value|unit|name|point|device|deviceName|severity|level|limit|id)\}/g;

export function formatValue(value: PointValue): string {
  if (value === null) return '–';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    // Two decimals at most, without trailing zeros: 27.4, not 27.400000000000002.
    return String(Math.round(value * 100) / 100);
  }
  return String(value);
}

export function renderMessage(template: string, ctx: MessageContext): string {
  return template.replace(PLACEHOLDER, (_, key: keyof MessageContext) => {
    switch (key) {
      case 'value':
        return formatValue(ctx.value);
      case 'limit':
        return ctx.limit === null ? '' : formatValue(ctx.limit);
      case 'level':
        return ctx.level ? ctx.level.toUpperCase() : '';
      default:
        return ctx[key] ?? '';
    }
  });
}

/** The template used when a rule gives none. */
export function defaultTemplate(rule: AlarmRule, level: LimitLevel | null): string {
  switch (rule.type) {
    case 'limit':
      return level === 'lo' || level === 'lolo'
        ? '{name} {value}{unit} below {level} limit {limit}{unit}'
        : '{name} {value}{unit} above {level} limit {limit}{unit}';
    case 'discrete':
      return '{name}: {value}';
    case 'rate':
      return `{name} changing faster than ${formatValue(rule.perMinute)}{unit}/min ({value}{unit})`;
    case 'stale':
      return `{name}: no good value for ${rule.staleS} s`;
    case 'comm-loss':
      return `{deviceName}: no communication for ${rule.commLossS} s`;
    case 'analytics':
      return '{value}';
    case 'system':
      return `{name}: ${rule.condition} failing: {value}`;
  }
}
