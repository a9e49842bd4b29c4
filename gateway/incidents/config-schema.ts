/**
 * The site file's `incidents:` rules and `correlation:` settings (issue 15), as zod schemas the
 * config loader uses, so a bad rule is a problem with file, line and path like any other.
 */
import { z } from 'zod';
import { SEVERITIES } from '../alarms/types.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** `*` matches any run of characters (dots too): `*.on-battery`, `racks-a.*-temperature` */
const glob = () => z.string().min(1).max(200);

/** Alarms by id pattern, and optionally severity, device, zone (topology) or what is downstream of a node. */
export const alarmConditionSchema = z.strictObject({
  alarm: glob(),
  severity: z.array(z.enum(SEVERITIES)).min(1).optional(),
  device: glob().optional(),
  zone: z.string().min(1).optional(),
  downstreamOf: z.string().min(1).optional(),
});

/** A point over a limit, or changing faster than a rate (units per minute over the rule's window). */
export const pointConditionSchema = z
  .strictObject({
    point: glob(),
    hi: z.number().optional(),
    lo: z.number().optional(),
    risePerMin: z.number().positive().optional(),
    fallPerMin: z.number().positive().optional(),
    zone: z.string().min(1).optional(),
  })
  .refine((p) => p.hi !== undefined || p.lo !== undefined || p.risePerMin !== undefined || p.fallPerMin !== undefined, {
    message: 'give hi, lo, risePerMin or fallPerMin',
  });

export const conditionSchema = z.union([alarmConditionSchema, pointConditionSchema]);

export const incidentRuleSchema = z.strictObject({
  id: z.string().regex(ID, 'letters, digits, _ . - (starting with a letter or digit)'),
  severity: z.enum(SEVERITIES).default('major'),
  /** {count}: matching alarms (or points); {devices}: their devices */
  message: z.string().min(1).max(500).optional(),
  when: z
    .strictObject({
      any: z.array(conditionSchema).min(1).optional(),
      all: z.array(conditionSchema).min(1).optional(),
      /** any: how many matches raise it (default 1) */
      min: z.int().min(1).max(10_000).optional(),
      /** the window: a match counts when it began (alarm raised, rate seen) at most this long ago */
      withinS: z.int().min(1).max(86_400).default(60),
    })
    .refine((w) => (w.any === undefined) !== (w.all === undefined), { message: 'give exactly one of any or all' })
    .refine((w) => w.min === undefined || w.any !== undefined, { message: 'min goes with any' }),
});

export const incidentListSchema = z.array(incidentRuleSchema).superRefine((rules, ctx) => {
  const seen = new Map<string, number>();
  rules.forEach((r, i) => {
    const first = seen.get(r.id);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate id "${r.id}" (also incidents[${first}])` });
    else seen.set(r.id, i);
  });
});

/** Built-in topology correlation: symptoms grouped under causes, and whose notifications wait. */
export const correlationSchema = z.strictObject({
  symptoms: z.boolean().default(true),
  /** a symptom's notifications of these severities are held back while its cause is active */
  holdNotifications: z.array(z.enum(SEVERITIES)).default(['warning', 'minor', 'major']),
});

export type AlarmCondition = z.output<typeof alarmConditionSchema>;
export type PointCondition = z.output<typeof pointConditionSchema>;
export type IncidentCondition = AlarmCondition | PointCondition;
export type IncidentRule = z.output<typeof incidentRuleSchema>;
export type CorrelationSection = z.output<typeof correlationSchema>;

export const DEFAULT_CORRELATION: CorrelationSection = { symptoms: true, holdNotifications: ['warning', 'minor', 'major'] };
