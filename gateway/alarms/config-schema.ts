/**
 * Alarm rules as written (top-level `alarms:` of a site, `alarms:` of a device profile) and the
 * `alarmSettings:` section, and their resolution into typed rules: profile rules become one rule
 * per device using the profile (id `<deviceId>.<ruleId>`, point `<deviceId>.<key>`); a site rule
 * with such an id overrides fields of that rule or disables it; every other site rule stands alone.
 * Problems are reported against an opaque location `W`, like the drivers' point checks.
 */
import { z } from 'zod';
import {
  type AlarmRule,
  type AlarmSettings,
  type DiscreteMatch,
  LIMIT_LEVELS,
  type LimitLevel,
  type LimitSpec,
  NOTIFY_KINDS,
  type NotifyKind,
  SEVERITIES,
  type Severity,
} from './types.js';
import { flatId } from './alarm-def.js';
import type { Located } from '../../core/driver-config.js';
import { secretString } from '../../core/secret.js';

const RULE_ID = /^[a-z0-9_-]+$/;
/** a site rule may name a profile rule of one device: `<deviceId>.<ruleId>` */
const RULE_REF = /^[a-z0-9_-]+(\.[a-z0-9_-]+)?$/;
const scalar = z.union([z.boolean(), z.number(), z.string()]);
const limit = z.union([z.number(), z.strictObject({ limit: z.number(), severity: z.enum(SEVERITIES).optional() })]);
const seconds = (max: number) => z.number().min(0).max(max);

/** One rule as written; every field optional so a site entry can override a profile rule field by field. */
export const alarmRuleSchema = z.strictObject({
  id: z.string().regex(RULE_REF, 'has characters other than a-z, 0-9, _ and - (and one . in `<deviceId>.<ruleId>`)'),
  point: z.string().min(1).optional(),
  device: z.string().min(1).optional(),
  severity: z.enum(SEVERITIES).optional(),
  message: z.string().min(1).max(500).optional(),
  onDelayS: seconds(86_400).optional(),
  offDelayS: seconds(86_400).optional(),
  latch: z.boolean().optional(),
  disabled: z.boolean().optional(),
  hi: limit.optional(),
  hihi: limit.optional(),
  lo: limit.optional(),
  lolo: limit.optional(),
  deadband: z.number().min(0).optional(),
  equals: scalar.optional(),
  notEquals: scalar.optional(),
  bitSet: z.int().min(0).max(52).optional(),
  in: z.array(scalar).min(1).optional(),
  ratePerMin: z.number().positive().optional(),
  windowS: z.number().min(1).max(86_400).optional(),
  direction: z.enum(['rise', 'fall', 'both']).optional(),
  staleS: z.number().positive().max(30 * 86_400).optional(),
  commLossS: z.number().min(0).max(30 * 86_400).optional(),
});
export type AlarmRuleInput = z.output<typeof alarmRuleSchema>;

const severities = z.array(z.enum(SEVERITIES)).min(1).default([...SEVERITIES]);
const kinds = z.array(z.enum(NOTIFY_KINDS as [NotifyKind, ...NotifyKind[]])).min(1).default(['raised', 'returned']);
const urlWith = (schemes: string[]) =>
  z.string().refine((u) => {
    try {
      return schemes.includes(new URL(u).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting ${schemes.map((s) => `${s}//`).join(', ')}`);

const webhookSchema = z.strictObject({
  type: z.literal('webhook'),
  url: urlWith(['http:', 'https:']),
  headers: z.record(z.string(), secretString()).default({}),
  severities,
  kinds,
  timeoutMs: z.int().min(100).max(120_000).default(5000),
  retries: z.int().min(0).max(100).default(5),
});

const mqttSchema = z.strictObject({
  type: z.literal('mqtt'),
  url: urlWith(['mqtt:', 'mqtts:', 'ws:', 'wss:']),
  username: z.string().optional(),
  password: secretString().optional(),
  topic: z.string().min(1).default('facility/{gatewayId}/alarms/{alarmId}'),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
  retain: z.boolean().default(false),
  severities,
  kinds,
  timeoutMs: z.int().min(100).max(120_000).default(5000),
  retries: z.int().min(0).max(100).default(5),
});

export const alarmSettingsSchema = z.strictObject({
  chatterPerMinute: z.int().min(1).max(1000).default(5),
  floodPer10Min: z.int().min(1).max(100_000).default(10),
  maxShelveMinutes: z.number().positive().max(30 * 1440).default(1440),
  notify: z.array(z.discriminatedUnion('type', [webhookSchema, mqttSchema])).default([]),
}) satisfies z.ZodType<AlarmSettings, unknown>;

/** A rule as written, with where its problems go. */
export interface WrittenRule<W> {
  input: AlarmRuleInput;
  where(field?: string): W;
}

export interface AlarmDevice<W> {
  id: string;
  points: readonly { id: string; key: string }[];
  /** the rules of the device's profile, as written there */
  profileRules: readonly WrittenRule<W>[];
}

export interface ResolveInput<W> {
  devices: readonly AlarmDevice<W>[];
  siteRules: readonly WrittenRule<W>[];
  /** the name a typo most likely meant, for messages */
  suggest?: (word: string, candidates: readonly string[]) => string | undefined;
}

const LIMIT_KEYS = ['hi', 'hihi', 'lo', 'lolo'] as const;
const DISCRETE_KEYS = ['equals', 'notEquals', 'bitSet', 'in'] as const;
const KIND_KEYS = { limit: LIMIT_KEYS, discrete: DISCRETE_KEYS, rate: ['ratePerMin'], stale: ['staleS'], 'comm-loss': ['commLossS'] } as const;
const CONDITIONS = 'hi/hihi/lo/lolo, equals/notEquals/bitSet/in, ratePerMin, staleS or commLossS';

interface Pending<W> {
  input: AlarmRuleInput;
  /** where each field was written (an override's fields point into the site file) */
  where: (field?: string) => W;
  /** profile rules: the device they belong to, and the fields a site entry overrode */
  device?: string;
  siteFields?: ReadonlySet<string>;
}

/** Resolves profile and site rules into typed rules; every problem is reported, none stops the rest. */
export function resolveAlarmRules<W>(input: ResolveInput<W>): { rules: AlarmRule[]; problems: Located<W>[] } {
  const problems: Located<W>[] = [];
  const report = (where: W, message: string) => problems.push({ where, message });
  const pending = new Map<string, Pending<W>>();
  const pointIds = new Set(input.devices.flatMap((d) => d.points.map((p) => p.id)));
  const deviceIds = new Set(input.devices.map((d) => d.id));

  for (const device of input.devices) {
    for (const rule of device.profileRules) {
      if (!RULE_ID.test(rule.input.id)) {
        report(rule.where('id'), 'a profile alarm id has no dot (the device id is put in front of it)');
        continue;
      }
      if (rule.input.device !== undefined) {
        report(rule.where('device'), 'a profile alarm is about the device that uses the profile; leave `device` out');
        continue;
      }
      const id = flatId(`${device.id}.${rule.input.id}`);
      if (pending.has(id)) continue;
      const inputWithIds = { ...rule.input, id, ...(rule.input.point ? { point: flatId(`${device.id}.${rule.input.point}`) } : {}) };
      if (rule.input.commLossS !== undefined) inputWithIds.device = device.id;
      pending.set(id, { input: inputWithIds, where: rule.where, device: device.id });
    }
  }
  const siteIds = new Set<string>();
  for (const rule of input.siteRules) {
    const id = rule.input.id;
    if (siteIds.has(id)) {
      report(rule.where('id'), `duplicate alarm id "${id}"`);
      continue;
    }
    siteIds.add(id);
    const base = pending.get(id);
    if (base) {
      // An override: its own fields win, and their problems point at the site file.
      const merged = { ...base.input, ...rule.input };
      const fromSite = new Set(Object.keys(rule.input));
      pending.set(id, {
        input: merged,
        device: base.device,
        siteFields: fromSite,
        where: (field) => (field && !fromSite.has(field) ? base.where(field) : rule.where(field)),
      });
    } else if (id.includes('.')) {
      const dev = id.slice(0, id.indexOf('.'));
      const known = [...pending.keys()].filter((k) => k.startsWith(`${dev}.`));
      const near = input.suggest?.(id, known);
      report(rule.where('id'), `no profile alarm "${id}" to override${near ? ` (did you mean "${near}"?)` : known.length ? ` (${dev} has ${known.join(', ')})` : ''}`);
    } else pending.set(id, { input: rule.input, where: rule.where });
  }

  const rules: AlarmRule[] = [];
  const levelsCache = new Map<string, LimitLevels>();
  for (const [id, p] of pending) {
    if (p.input.disabled) continue;
    const rule = resolveOne(id, p, pointIds, deviceIds, input.suggest, report, levelsCache);
    if (rule) rules.push(rule);
  }
  return { rules, problems };
}

function resolveOne<W>(
  id: string,
  p: Pending<W>,
  pointIds: ReadonlySet<string>,
  deviceIds: ReadonlySet<string>,
  suggest: ResolveInput<W>['suggest'],
  report: (where: W, message: string) => void,
  levelsCache: Map<string, LimitLevels>,
): AlarmRule | undefined {
  const r = p.input;
  const has = (k: keyof AlarmRuleInput) => r[k] !== undefined;
  const kinds = (Object.keys(KIND_KEYS) as Array<keyof typeof KIND_KEYS>).filter((k) => KIND_KEYS[k].some((f) => has(f)));
  if (kinds.length !== 1) {
    report(p.where(kinds.length === 0 ? undefined : KIND_KEYS[kinds[1]!][0]), kinds.length === 0 ? `needs a condition: ${CONDITIONS}` : `has conditions of two kinds (${kinds.join(' and ')}); give one`);
    return undefined;
  }
  const kind = kinds[0]!;
  let ok = true;
  const fail = (field: string | undefined, message: string) => {
    report(p.where(field), message);
    ok = false;
  };
  const only = (field: keyof AlarmRuleInput, forKind: string) => {
    if (has(field) && kind !== forKind) fail(field, `only applies to ${forKind} alarms`);
  };
  only('deadband', 'limit');
  only('windowS', 'rate');
  only('direction', 'rate');
  if (kind === 'discrete' && DISCRETE_KEYS.filter((k) => has(k)).length > 1) fail(DISCRETE_KEYS.filter((k) => has(k))[1], 'give one of equals, notEquals, bitSet, in');

  if (kind === 'comm-loss') {
    if (has('point')) fail('point', 'a comm-loss alarm watches a device: give `device`, not `point`');
    if (!r.device) fail(undefined, 'needs `device`');
    else if (!deviceIds.has(r.device)) fail('device', unknown('device', r.device, [...deviceIds], suggest));
  } else {
    if (has('device') && !p.device) fail('device', 'only comm-loss alarms name a device; give `point`');
    if (!r.point) fail(undefined, 'needs `point` (`<deviceId>.<key>` in the site file, the key in a profile)');
    else if (!pointIds.has(r.point)) {
      if (p.device && !p.siteFields?.has('point')) {
        // Said the same way for every device using the profile, so it is listed once.
        const prefix = `${p.device}.`;
        const keys = [...pointIds].filter((id) => id.startsWith(prefix)).map((id) => id.slice(prefix.length));
        fail('point', unknown('point key', r.point.slice(prefix.length), keys, suggest));
      } else fail('point', unknown('point', r.point, [...pointIds], suggest));
    }
  }
  const levels: LimitLevels = {};
  const severity: Severity = r.severity ?? 'major';
  for (const level of LIMIT_LEVELS) {
    const spec = r[level];
    if (spec === undefined) continue;
    const defaultSeverity: Severity = level === 'hihi' || level === 'lolo' ? 'critical' : severity;
    levels[level] = typeof spec === 'number' ? { limit: spec, severity: defaultSeverity } : { limit: spec.limit, severity: spec.severity ?? defaultSeverity };
  }
  const lim = (l: LimitLevel) => levels[l]?.limit;
  if (lim('hihi') !== undefined && lim('hi') !== undefined && lim('hihi')! <= lim('hi')!) fail('hihi', `must be above hi (${lim('hi')})`);
  if (lim('lolo') !== undefined && lim('lo') !== undefined && lim('lolo')! >= lim('lo')!) fail('lolo', `must be below lo (${lim('lo')})`);
  const highLimits = (['hi', 'hihi'] as const).flatMap((l) => (lim(l) === undefined ? [] : [lim(l)!]));
  const lowLimits = (['lo', 'lolo'] as const).flatMap((l) => (lim(l) === undefined ? [] : [lim(l)!]));
  if (highLimits.length > 0 && lowLimits.length > 0 && Math.max(...lowLimits) >= Math.min(...highLimits)) {
    fail(lim('lo') !== undefined ? 'lo' : 'lolo', `must be below ${lim('hi') !== undefined ? 'hi' : 'hihi'}`);
  }
  if (!ok) return undefined;

  // Each rule is written as one literal, its fields always in the same order, and a profile's
  // limit levels are one frozen object shared by every device using it: a site's ~5 000 rules then
  // share a few hidden classes (made by spreading, each rule had its own: ~1.5 MB at 5 000 rules).
  const onDelayS = r.onDelayS ?? 0;
  const offDelayS = r.offDelayS ?? 0;
  const latch = r.latch ?? false;
  let rule: AlarmRule;
  switch (kind) {
    case 'limit':
      rule = { id, severity, onDelayS, offDelayS, latch, type: 'limit', point: r.point!, levels: sharedLevels(levels, levelsCache), deadband: r.deadband ?? 0 };
      break;
    case 'discrete':
      rule = { id, severity, onDelayS, offDelayS, latch, type: 'discrete', point: r.point!, match: discreteMatch(r) };
      break;
    case 'rate':
      rule = { id, severity, onDelayS, offDelayS, latch, type: 'rate', point: r.point!, perMinute: r.ratePerMin!, windowS: r.windowS ?? 60, direction: r.direction ?? 'both' };
      break;
    case 'stale':
      rule = { id, severity, onDelayS, offDelayS, latch, type: 'stale', point: r.point!, staleS: r.staleS! };
      break;
    case 'comm-loss':
      rule = { id, severity, onDelayS, offDelayS, latch, type: 'comm-loss', device: r.device!, commLossS: r.commLossS! };
      break;
  }
  if (r.message) rule.message = r.message;
  return rule;
}

type LimitLevels = Partial<Record<LimitLevel, LimitSpec>>;

/** The same levels (limits and severities) as one frozen object: nothing changes a rule after it is resolved. */
function sharedLevels(levels: LimitLevels, cache: Map<string, LimitLevels>): LimitLevels {
  const key = JSON.stringify(levels);
  let shared = cache.get(key);
  if (!shared) {
    for (const spec of Object.values(levels)) Object.freeze(spec);
    shared = Object.freeze(levels);
    cache.set(key, shared);
  }
  return shared;
}

function discreteMatch(r: AlarmRuleInput): DiscreteMatch {
  if (r.equals !== undefined) return { op: 'equals', value: r.equals };
  if (r.notEquals !== undefined) return { op: 'not-equals', value: r.notEquals };
  if (r.bitSet !== undefined) return { op: 'bit-set', bit: r.bitSet };
  return { op: 'in', values: r.in! };
}

function unknown(what: string, name: string, known: string[], suggest: ResolveInput<unknown>['suggest']): string {
  const near = suggest?.(name, known);
  return `unknown ${what} "${name}"${near ? ` (did you mean "${near}"?)` : ''}`;
}
