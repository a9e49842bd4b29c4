/**
 * The YAML shape of a site config and of a device profile (zod), and the translation of zod
 * issues into short located problems. Sections are strict: an unknown key is a problem, since a
 * misspelt key would otherwise be silently ignored.
 */
import { z } from 'zod';
import type { ConfigProblem } from '../core/errors.js';
import { mqttBrokerSchema } from '../drivers/mqtt/config-schema.js';
import { snmpTrapsSchema } from '../drivers/snmp/config-schema.js';
import { syncSchema } from '../sync/config-schema.js';
import { alarmSettingsSchema } from '../gateway/alarms/config-schema.js';
import { snapshotsSchema } from '../gateway/snapshots/config-schema.js';
import { correlationSchema, incidentListSchema } from '../gateway/incidents/config-schema.js';
import { actionsRunDirSchema, actionsSchema } from '../gateway/actions/config-schema.js';
import { analyticsSchema } from '../gateway/analytics/config-schema.js';
import { configSourceSchema } from './live/config-source-schema.js';
import { type DriverName, driverPlugins } from './drivers.js';
import { DEVICE_KINDS, type DeviceKind } from '../core/device.js';
import type { PathSegment, YamlSource } from './yaml-source.js';

const ID = /^[a-z0-9_-]+$/;
const ID_RULE = 'has characters other than a-z, 0-9, _ and -';
export const idString = () => z.string().regex(ID, ID_RULE);
/** Profile names become file names; keep them to one safe path segment. */
const PROFILE_NAME = /^[a-z0-9_][a-z0-9_.-]*$/;
export const profileName = () => z.string().regex(PROFILE_NAME, 'is not a profile name (a-z, 0-9, _ . -)');
export const isProfileName = (name: string) => PROFILE_NAME.test(name);

export const gatewaySchema = z.strictObject({
  id: idString(),
  dataDir: z.string().min(1).default('./data'),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export const httpSchema = z.strictObject({
  host: z.string().min(1).default('0.0.0.0'),
  // 0 asks the OS for a free port (tests)
  port: z.int().min(0).max(65535).default(8080),
  /** PEM files (relative to the config file): the listener speaks HTTPS */
  tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
  /** host names (or addresses) besides localhost and the listener's own that clients use; `*` = any */
  allowedHosts: z.array(z.string().min(1).max(253)).default([]),
  /** largest request body accepted (413 beyond) */
  maxBodyKB: z.int().min(1).max(16 * 1024).default(64),
  /** live streams (SSE) one user or API token may hold; one more closes the oldest */
  maxLiveStreams: z.int().min(1).max(1000).default(10),
});

/** Web-page logins: session lifetime and password-guessing limits. */
export const authSchema = z.strictObject({
  sessionIdleMinutes: z.int().min(1).max(7 * 24 * 60).default(60),
  sessionMaxHours: z.int().min(1).max(90 * 24).default(24),
  maxFailedLogins: z.int().min(1).max(100).default(5),
  lockoutMinutes: z.int().min(1).max(24 * 60).default(15),
});

export const storageSchema = z.strictObject({
  commitIntervalMs: z.int().min(1).max(60_000).default(200),
  maxBatch: z.int().min(1).max(1_000_000).default(5000),
  synchronous: z.enum(['full', 'normal']).default('full'),
  /**
   * Take the profiles' `store:` policies (report-by-exception: a reading stored only when it moved
   * beyond a deadband, its quality changed or a heartbeat is due). Off by default: every reading is
   * stored and synced. A `store:` written on a site device's own point applies either way.
   */
  byException: z.boolean().default(false),
  retention: z
    .strictObject({
      maxAgeDays: z.number().min(0).default(30),
      maxSizeMB: z.number().min(0).default(2048),
      /** after a wall-clock step, the share of the readings one age pass may delete */
      maxShareAfterStep: z.number().min(0).max(1).default(0.1),
    })
    .prefault({}),
});

/** The wall clock: whether samples are marked while the system says it is not synchronised. */
export const clockSchema = z.strictObject({
  requireSync: z.enum(['auto', 'off']).default('auto'),
});

/** Writes to equipment (issue 14): whether the central EMS may write, and how often per point. */
export const controlSchema = z.strictObject({
  allowEms: z.boolean().default(false),
  rateLimitPerPoint: z
    .strictObject({ count: z.int().min(1).max(10_000).default(6), perSeconds: z.int().min(1).max(86_400).default(60) })
    .prefault({}),
});

/** Device points are checked one by one (by the driver's point schema), so a bad one hides nothing. */
const deviceCommonShape = {
  id: idString(),
  name: z.string().min(1).optional(),
  kind: z.enum(DEVICE_KINDS).optional(),
  location: z.string().optional(),
  pollIntervalMs: z.int().min(100).max(86_400_000).default(1000),
  profile: profileName().optional(),
  points: z.array(z.unknown()).optional(),
};

/** A device of one driver: the common fields and the driver's own. */
export function deviceSchemaFor(driver: DriverName) {
  return z.strictObject({ ...deviceCommonShape, driver: z.literal(driver), ...driverPlugins[driver].deviceShape });
}

export const siteSchema = z.strictObject({
  gateway: gatewaySchema,
  http: httpSchema.prefault({}),
  auth: authSchema.prefault({}),
  storage: storageSchema.prefault({}),
  clock: clockSchema.prefault({}),
  control: controlSchema.prefault({}),
  sync: syncSchema,
  devices: z.array(z.unknown()),
  /** checked rule by rule in alarm-list.ts, so one bad rule hides nothing */
  alarms: z.array(z.unknown()).optional(),
  alarmSettings: alarmSettingsSchema.prefault({}),
  /** what feeds what and what serves where; checked entry by entry in topology-list.ts */
  topology: z.array(z.unknown()).nullish(),
  /** event snapshots (gateway/snapshots/): on for critical and major when absent */
  snapshots: snapshotsSchema.prefault({}),
  /** incident rules (gateway/incidents/) and the built-in symptom grouping */
  incidents: incidentListSchema.default([]),
  correlation: correlationSchema.prefault({}),
  /** automated actions (gateway/actions/) and the one folder `run` steps may start programs from */
  actions: actionsSchema,
  actionsRunDir: actionsRunDirSchema.optional(),
  /** learned baselines, anomaly alarms and forecasts per point (gateway/analytics/) */
  analytics: analyticsSchema,
  mqttBroker: mqttBrokerSchema.optional(),
  snmpTraps: snmpTrapsSchema.optional(),
  /** a central URL the gateway polls for this whole file (app/config-source.ts) */
  configSource: configSourceSchema.optional(),
}).superRefine((site, ctx) => {
  // An MQTT device without a connection listens on the embedded broker: it must be on.
  if (site.mqttBroker?.enabled) return;
  site.devices.forEach((d, i) => {
    const dev = d as { driver?: unknown; connection?: unknown } | null;
    if (dev?.driver !== 'mqtt' || dev.connection !== undefined) return;
    const message = 'uses the embedded MQTT broker (it has no connection), which is not enabled: add mqttBroker: { enabled: true, ... }';
    ctx.addIssue({ code: 'custom', path: ['devices', i], message });
  });
});

/** A profile of one driver: its own header fields and the driver's profile defaults. */
export function profileSchemaFor(driver: DriverName) {
  return z.strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    kind: z.enum(DEVICE_KINDS).optional(),
    driver: z.literal(driver),
    /** who makes the equipment and which models the map fits (shown when choosing a profile) */
    vendor: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    /** false: the map could not be checked against the vendor's documents (the file says why) */
    verified: z.boolean().default(true),
    ...driverPlugins[driver].profileShape,
    points: z.array(z.unknown()),
    alarms: z.array(z.unknown()).optional(),
    /** default analytics for every device of the profile; checked entry by entry in profile-analytics.ts */
    analytics: z.array(z.unknown()).optional(),
  });
}
export type ProfileHeader = {
  name: string;
  description?: string;
  kind?: DeviceKind;
  driver: DriverName;
  vendor?: string;
  model?: string;
  verified: boolean;
} & Record<string, unknown>;

/** Parses `value` (found at `base` in `src`); returns the data or the located problems. */
export function parseAt<S extends z.ZodType>(
  schema: S,
  value: unknown,
  src: YamlSource,
  base: readonly PathSegment[],
): { data?: z.output<S>; problems: ConfigProblem[] } {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return { data: result.data, problems: [] };
  return { problems: result.error.issues.flatMap((issue) => issueProblems(issue, schema, src, base)) };
}

function issueProblems(
  issue: z.core.$ZodIssue,
  schema: z.ZodType,
  src: YamlSource,
  base: readonly PathSegment[],
): ConfigProblem[] {
  const path = [...base, ...(issue.path as PathSegment[])];
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(schema, issue.path as PathSegment[]);
    return issue.keys.map((key) => {
      const near = closest(key, known);
      return src.problem([...path, key], `unknown key "${key}"${near ? ` (did you mean "${near}"?)` : ''}`, 'key');
    });
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    const value = (issue.input as Record<string, unknown> | undefined)?.[issue.discriminator];
    const options = (issue as { options?: unknown[] }).options ?? [];
    return [src.problem(path, value === undefined ? 'required' : `expected one of ${options.join(', ')}, got ${describe(value)}`)];
  }
  return [src.problem(path, issueMessage(issue))];
}

function issueMessage(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined ? 'required' : `expected ${typeName(issue.expected)}, got ${describe(input)}`;
    case 'invalid_value':
      if (input === undefined) return 'required';
      return issue.values.length === 1
        ? `expected ${describe(issue.values[0])}, got ${describe(input)}`
        : `expected one of ${issue.values.join(', ')}, got ${describe(input)}`;
    case 'too_big':
      if (issue.origin === 'number') return issue.inclusive ? `${input} exceeds ${issue.maximum}` : `${input} must be below ${issue.maximum}`;
      return `longer than ${issue.maximum}`;
    case 'too_small':
      if (issue.origin === 'number') return issue.inclusive ? `${input} is below ${issue.minimum}` : `${input} must be above ${issue.minimum}`;
      return issue.minimum === 1 && issue.origin === 'string' ? 'must not be empty' : `shorter than ${issue.minimum}`;
    case 'invalid_format':
      return `${describe(input)} ${issue.message}`;
    case 'invalid_union': {
      const expected = issue.errors.flatMap((branch) =>
        branch.length === 1 && branch[0]!.code === 'invalid_type' ? [typeName(branch[0]!.expected)] : [],
      );
      if (expected.length === issue.errors.length) return `expected ${expected.join(' or ')}, got ${describe(input)}`;
      return `invalid value ${describe(input)}`;
    }
    default:
      return issue.message;
  }
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

/** How a value reads in a message; never long, never more than the user wrote. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  return String(value);
}

interface LooseDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
}

/** The keys an object schema at `path` accepts (all options' keys, for a union). */
function knownKeys(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let nodes: z.ZodType[] = [schema];
  const unwrap = (s: z.ZodType): z.ZodType[] => {
    const def = s._zod.def as unknown as LooseDef;
    if (def.innerType) return unwrap(def.innerType);
    // z.preprocess is a pipe from a transform into the real schema; a transform output is not.
    if (def.type === 'pipe') return unwrap(def.in!._zod.def.type === 'transform' ? def.out! : def.in!);
    if (def.options) return def.options.flatMap(unwrap);
    return [s];
  };
  for (const seg of path) {
    nodes = nodes.flatMap(unwrap).flatMap((s) => {
      const def = s._zod.def as unknown as LooseDef;
      if (def.type === 'object' && typeof seg === 'string' && def.shape?.[seg]) return [def.shape[seg]];
      if (def.type === 'array' && def.element) return [def.element];
      if (def.type === 'record' && def.valueType) return [def.valueType];
      return [];
    });
  }
  const keys = nodes.flatMap(unwrap).flatMap((s) => Object.keys((s._zod.def as unknown as LooseDef).shape ?? {}));
  return [...new Set(keys)];
}

/** The known key a typo most likely meant (edit distance ≤ 2, or a case-only difference). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = c.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.min(2, Math.max(1, Math.floor(word.length / 3))) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let prevPrev: number[] = [];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      // a transposition ("adrdess") counts as one edit
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (prevPrev[j - 2] ?? 0) + 1);
      row.push(d);
    }
    prevPrev = prev;
    prev = row;
  }
  return prev[b.length]!;
}
