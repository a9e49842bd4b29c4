/**
 * Templates of webhook bodies, MQTT topics and payloads and program arguments: `{name}` in any
 * string is replaced by the run's field of that name; an unknown name stays as written.
 */
import type { RunTrigger } from './types.js';

export type TemplateFields = Record<string, string>;

export function runFields(gatewayId: string, actionId: string, trigger: RunTrigger, at: number): TemplateFields {
  return {
    gatewayId,
    actionId,
    triggerType: trigger.type,
    triggerId: trigger.id,
    transition: trigger.transition,
    severity: trigger.severity ?? '',
    message: trigger.message ?? '',
    ts: new Date(at).toISOString(),
  };
}

export function fillText(text: string, fields: TemplateFields): string {
  return text.replace(/\{(\w+)\}/g, (all, key: string) => fields[key] ?? all);
}

/** A copy of a JSON-like value with every string in it (keys kept) filled in. */
export function fillValue(value: unknown, fields: TemplateFields): unknown {
  if (typeof value === 'string') return fillText(value, fields);
  if (Array.isArray(value)) return value.map((v) => fillValue(v, fields));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillValue(v, fields)]));
  }
  return value;
}
