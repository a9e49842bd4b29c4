/**
 * The `actions:` section of a site (a list of rules) and `actionsRunDir:` (the one folder `run`
 * steps may start programs from). Cross-checks that need the rest of the site (point ids, the
 * folder being set) are in checkActions, which the loader calls with the loaded devices.
 */
import { z } from 'zod';
import { secretString } from '../../core/secret.js';
import { ACTION_TRANSITIONS, type ActionRule, type ActionStep, type ActionTrigger } from './types.js';

const ID = /^[a-z0-9_-]+$/;
/** alarm/incident ids as written, plus `*` and `?` globs */
const PATTERN = /^[a-z0-9_.*?-]+$/;
const pattern = () => z.string().regex(PATTERN, 'is not an id or glob (a-z, 0-9, _ - . and * ?)');

/** `30s`, `5m`, `2h`, `1d` or a number of seconds; at least 10 s (an interval, not a cron expression). */
export function parseInterval(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
const interval = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const s = parseInterval(v);
  if (s === undefined || s < 10 || s > 7 * 86_400) {
    ctx.addIssue({ code: 'custom', message: 'must be an interval like 30s, 5m, 2h or 1d, from 10 s to 7 days (cron expressions are not supported)' });
    return z.NEVER;
  }
  return s;
});

/**
 * One object with every trigger key optional and a check that exactly one is given, rather than a
 * union: a mistake inside a trigger is then reported at its own field, not as "invalid value".
 */
const triggerSchema = z
  .strictObject({ alarm: pattern().optional(), incident: pattern().optional(), every: interval.optional(), transition: z.enum(ACTION_TRANSITIONS).optional() })
  .superRefine((on, ctx) => {
    const given = (['alarm', 'incident', 'every'] as const).filter((k) => on[k] !== undefined);
    if (given.length !== 1) ctx.addIssue({ code: 'custom', message: 'needs exactly one of alarm, incident or every' });
    else if (on.every !== undefined && on.transition !== undefined) ctx.addIssue({ code: 'custom', path: ['transition'], message: 'a schedule (every) has no transition' });
  })
  .transform((on): ActionTrigger => {
    if (on.every !== undefined) return { everyS: on.every };
    const t = on.transition ?? 'raised';
    return on.alarm !== undefined ? { alarm: on.alarm, transition: t } : { incident: on.incident!, transition: t };
  });

const urlWith = (schemes: string[]) =>
  z.string().refine((u) => {
    try {
      return schemes.includes(new URL(u).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting ${schemes.map((s) => `${s}//`).join(', ')}`);
const timeout = (dflt: number) => z.int().min(100).max(300_000).default(dflt);

const writeStep = z.strictObject({
  write: z.strictObject({ point: z.string().min(1), value: z.union([z.boolean(), z.number(), z.string()]), comment: z.string().max(500).optional() }),
});
const webhookStep = z.strictObject({
  webhook: z.strictObject({
    url: urlWith(['http:', 'https:']),
    method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
    headers: z.record(z.string(), secretString()).default({}),
    /** any JSON value; `{field}` in its strings is filled in */
    body: z.unknown().optional(),
    timeoutMs: timeout(5000),
  }),
});
const mqttStep = z.strictObject({
  mqtt: z.strictObject({
    url: urlWith(['mqtt:', 'mqtts:', 'ws:', 'wss:']),
    topic: z.string().min(1),
    payload: z.unknown().optional(),
    username: z.string().optional(),
    password: secretString().optional(),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
    retain: z.boolean().default(false),
    timeoutMs: timeout(5000),
  }),
});
const runStep = z.strictObject({
  run: z.strictObject({
    program: z
      .string()
      .min(1)
      .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), 'must be a path inside actionsRunDir (relative, no ..)'),
    args: z.array(z.string().max(4096)).max(64).default([]),
    timeoutMs: timeout(10_000),
  }),
});

/** Like the trigger: each step kind optional, exactly one given, so problems point into the step. */
const stepSchema = z
  .strictObject({ ...writeStep.shape, ...webhookStep.shape, ...mqttStep.shape, ...runStep.shape })
  .partial()
  .superRefine((step, ctx) => {
    if (Object.keys(step).length !== 1) ctx.addIssue({ code: 'custom', message: 'needs exactly one of write, webhook, mqtt or run' });
  })
  .transform((step) => step as ActionStep);

export const actionRuleSchema = z.strictObject({
  id: z.string().regex(ID, 'has characters other than a-z, 0-9, _ and -'),
  on: triggerSchema,
  do: z.array(stepSchema).min(1).max(20),
  cooldownS: z.number().min(0).max(7 * 86_400).default(60),
  dryRun: z.boolean().default(false),
  enabled: z.boolean().default(true),
  maxRunsPerHour: z.int().min(1).max(3600).default(6),
}) satisfies z.ZodType<ActionRule, unknown>;

export const actionsSchema = z.array(actionRuleSchema).default([]);
export const actionsRunDirSchema = z.string().min(1);

export interface ActionProblem {
  /** path below the site root, e.g. ['actions', 0, 'do', 1, 'write', 'point'] */
  path: (string | number)[];
  message: string;
}

/** Problems only visible with the whole site: duplicate ids, unknown or read-only points, `run` without a folder. */
export function checkActions(rules: readonly (ActionRule | undefined)[], site: { runDir?: string; points: ReadonlyMap<string, { writable: boolean }> }): ActionProblem[] {
  const problems: ActionProblem[] = [];
  const seen = new Map<string, number>();
  rules.forEach((rule, i) => {
    if (!rule) return;
    const first = seen.get(rule.id);
    if (first !== undefined) problems.push({ path: ['actions', i, 'id'], message: `duplicate id "${rule.id}" (also actions[${first}])` });
    else seen.set(rule.id, i);
    rule.do.forEach((step, j) => {
      if ('write' in step) {
        const point = site.points.get(step.write.point);
        const at = ['actions', i, 'do', j, 'write', 'point'];
        if (!point) problems.push({ path: at, message: `no point "${step.write.point}"` });
        else if (!point.writable) problems.push({ path: at, message: `${step.write.point} is not writable (its point has no write block)` });
      }
      if ('run' in step && !site.runDir) {
        problems.push({ path: ['actions', i, 'do', j, 'run'], message: 'a run step needs actionsRunDir: the folder its programs must be in' });
      }
    });
  });
  return problems;
}

/**
 * The rules of a raw `actions:` list that parse on their own (undefined where one does not), so a
 * bad rule does not hide the site-wide problems of the others.
 */
export function parseEachAction(raw: unknown): (ActionRule | undefined)[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((item) => {
    const parsed = actionRuleSchema.safeParse(item);
    return parsed.success ? parsed.data : undefined;
  });
}
