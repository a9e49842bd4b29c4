/**
 * A rule expands into alarms: one per limit level (ISA-18.2 treats HI and HIHI as two alarms, each
 * with its own severity and acknowledgement), one for any other rule. An alarm's id is the rule's,
 * plus `.<level>` for a limit level.
 */
import { defaultTemplate } from './message.js';
import type { AlarmRule, AlarmType, LimitLevel, Severity } from './types.js';
import { LIMIT_LEVELS } from './types.js';

export interface AlarmDef {
  id: string;
  rule: AlarmRule;
  type: AlarmType;
  level: LimitLevel | null;
  /** for limit levels */
  limit: number | null;
  point: string | null;
  device: string | null;
  severity: Severity;
  template: string;
  /** human name used in messages: the point's name, the device's for comm-loss, `Gateway` for system alarms */
  name: string;
  deviceName: string;
  unit: string | null;
}

export interface NameLookup {
  point(id: string): { name: string; unit: string | null } | undefined;
  device(id: string): { name: string } | undefined;
}

/** `<deviceId>.<key>` → deviceId (device ids have no dots). */
export function deviceOfPoint(pointId: string): string {
  const dot = pointId.indexOf('.');
  return dot < 0 ? pointId : pointId.slice(0, dot);
}

export function expandRule(rule: AlarmRule, names: NameLookup): AlarmDef[] {
  if (rule.type === 'comm-loss') {
    const name = names.device(rule.device)?.name ?? rule.device;
    return [
      {
        id: rule.id,
        rule,
        type: rule.type,
        level: null,
        limit: null,
        point: null,
        device: rule.device,
        severity: rule.severity,
        template: rule.message ?? defaultTemplate(rule, null),
        name,
        deviceName: name,
        unit: null,
      },
    ];
  }
  if (rule.type === 'system') {
    return [
      {
        id: rule.id,
        rule,
        type: rule.type,
        level: null,
        limit: null,
        point: null,
        device: null,
        severity: rule.severity,
        template: rule.message ?? defaultTemplate(rule, null),
        name: 'Gateway',
        deviceName: 'Gateway',
        unit: null,
      },
    ];
  }
  const info = names.point(rule.point);
  const device = deviceOfPoint(rule.point);
  const base = {
    rule,
    type: rule.type,
    point: rule.point,
    device,
    deviceName: names.device(device)?.name ?? device,
    name: info?.name ?? rule.point,
    unit: info?.unit ?? null,
  };
  if (rule.type !== 'limit') {
    return [
      {
        ...base,
        id: rule.id,
        level: null,
        limit: null,
        severity: rule.severity,
        template: rule.message ?? defaultTemplate(rule, null),
      },
    ];
  }
  return LIMIT_LEVELS.flatMap((level) => {
    const spec = rule.levels[level];
    if (!spec) return [];
    return [
      {
        ...base,
        id: `${rule.id}.${level}`,
        level,
        limit: spec.limit,
        severity: spec.severity,
        template: rule.message ?? defaultTemplate(rule, level),
      },
    ];
  });
}
