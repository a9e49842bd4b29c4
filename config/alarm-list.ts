/**
 * The loader's side of alarm rules: each `alarms:` item of a site or profile file is checked on its
 * own (so one bad rule hides nothing) and remembers where it was written; then the site's rules
 * and the profiles' are resolved against the loaded devices (alarm-schema.ts).
 */
import type { AlarmRule } from '../gateway/alarms/types.js';
import type { ConfigProblem } from '../core/errors.js';
import { alarmRuleSchema, resolveAlarmRules, type WrittenRule } from '../gateway/alarms/config-schema.js';
import { closest, parseAt } from './schema.js';
import type { PathSegment, YamlSource } from './yaml-source.js';

/** A located problem whose message the checker fills in. */
type Where = Omit<ConfigProblem, 'message'>;

export type WrittenAlarm = WrittenRule<Where>;

/** Parses an `alarms:` list item by item; bad items are reported and left out. */
export function parseAlarmList(raw: unknown, src: YamlSource, path: PathSegment[], problems: ConfigProblem[]): WrittenAlarm[] {
  // Not a list: the file's schema says so.
  if (!Array.isArray(raw)) return [];
  const out: WrittenAlarm[] = [];
  raw.forEach((item, i) => {
    const at = [...path, i];
    const parsed = parseAt(alarmRuleSchema, item, src, at);
    problems.push(...parsed.problems);
    if (parsed.data) out.push({ input: parsed.data, where: (field) => src.problem(field ? [...at, field] : at, '') });
  });
  return out;
}

export interface AlarmDeviceInput {
  id: string;
  points: readonly { id: string; key: string }[];
  /** the rules of the device's profile (none without one) */
  profileRules: readonly WrittenAlarm[];
}

/** Resolves the site's and the profiles' rules; problems go to `problems`, located in their files. */
export function checkAlarms(
  siteRules: readonly WrittenAlarm[],
  devices: readonly AlarmDeviceInput[],
  problems: ConfigProblem[],
): AlarmRule[] {
  const resolved = resolveAlarmRules({ devices, siteRules, suggest: closest });
  problems.push(...resolved.problems.map((p) => ({ ...p.where, message: p.message })));
  return resolved.rules;
}
