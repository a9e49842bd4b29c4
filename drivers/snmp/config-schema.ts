/**
 * SNMP config: the YAML shape of connections, points, tables and traps (zod), the site's
 * `snmpTraps:` section, and the step that expands tables into points and checks what one field
 * alone cannot show (oid vs column, type vs rate/enum/bit, trap `set` keys).
 *
 * Tables: a profile (or device) `tables:` entry lists row indexes and point templates; build()
 * turns them into one point per row and template: `{row}` in the key (a '.' of a multi-part index
 * becomes '_'), `{row}` and `{label}` in the name, oid = column + '.' + row. A device point with an
 * expanded key overrides it field by field (`disabled: true` drops it).
 *
 * Secrets (community, authKey, privKey) must be `${ENV}` references: a config file holding an
 * SNMP secret in clear is refused, and no message ever shows what was written.
 *
 * Zod only (see core/driver-config.ts): nothing here loads net-snmp.
 */
import { z } from 'zod';
import { writeSpecSchema } from '../../core/write-spec.js';
import type { BuildInput, DriverConfigPlugin, Located, PointSource } from '../../core/driver-config.js';
import { type Secret, secretString } from '../../core/secret.js';
import type { PointValue } from '../../core/types.js';
import {
  SNMP_AUTH_PROTOCOLS,
  SNMP_PRIV_PROTOCOLS,
  type SnmpConnection,
  type SnmpDeviceConfig,
  type SnmpTable,
  type SnmpTrapRule,
  type SnmpV3Auth,
} from './device.js';
import { SNMP_TYPES, SNMP_VERSIONS, type SnmpPoint, type SnmpType } from './point.js';

/** the site section's type, for config/types.ts (config imports drivers' point and config-schema files only) */
export type { SnmpTrapsSection } from './device.js';

const KEY = /^[a-z0-9_-]+$/;
const KEY_RULE = 'has characters other than a-z, 0-9, _ and -';
const OID = /^\.?\d+(\.\d+)+$/;
const INDEX = /^\d+(\.\d+)*$/;
const ENV_REF = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;
/** the alarm severities (gateway/alarms/types.ts; a driver imports only core/ and its own folder) */
const TRAP_SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;

export const DEFAULT_SNMP_PORT = 161;
export const DEFAULT_TRAP_PORT = 162;
export const MAX_VARBINDS = 128;
/** rows one table may expand to (a typo like rows: 100000 should not build 100000 points per column) */
export const MAX_TABLE_ROWS = 4096;

/** A dotted numeric OID; a leading '.' (net-snmp tools' style) is dropped. */
const oidString = () =>
  z
    .string()
    .regex(OID, 'is not a dotted numeric OID (like 1.3.6.1.2.1.1.3.0)')
    .transform((s) => (s.startsWith('.') ? s.slice(1) : s));

/** An SNMP secret: only `${ENV}`, resolved at load. The written text is never echoed. */
export function envSecret() {
  const envForm = '$' + '{ENV_NAME}';
  return z.unknown().transform((text, ctx): Secret => {
    if (typeof text !== 'string') {
      ctx.addIssue({ code: 'custom', message: text === undefined ? 'required' : 'expected a string (value not shown)' });
      return z.NEVER;
    }
    if (!ENV_REF.test(text)) {
      ctx.addIssue({ code: 'custom', message: `must be an environment reference like ${envForm}: SNMP secrets are not written in config files (value not shown)` });
      return z.NEVER;
    }
    const secret = secretString().safeParse(text);
    if (!secret.success) {
      ctx.addIssue({ code: 'custom', message: secret.error.issues[0]?.message ?? 'cannot be read' });
      return z.NEVER;
    }
    return secret.data;
  });
}

/** A row index as written: a whole number, or text like "3" or "1.2" (multi-part index). */
const rowIndex = z.union([z.int().min(0), z.string().regex(INDEX, 'is not a row index (like "3" or "1.2")')]).transform(String);

const pointFields = {
  name: z.string().min(1).optional(),
  unit: z.string().optional(),
  type: z.enum(SNMP_TYPES).optional(),
  rate: z.boolean().optional(),
  scale: z
    .number()
    .refine((n) => n !== 0, 'must not be 0')
    .optional(),
  offset: z.number().optional(),
  enum: z.record(z.string().regex(/^-?\d+$/, 'is not an integer'), z.string()).optional(),
  trueValues: z.array(z.int()).min(1).optional(),
  /** with trueValues: the raw value a write of `false` sends (reading: any value not in trueValues is false) */
  falseValue: z.int().optional(),
  bit: z.int().min(0).max(2047).optional(),
  sentinel: z.array(z.number()).optional(),
  disabled: z.boolean().optional(),
  write: writeSpecSchema.optional(),
};

/** A point as written. Every field but `key` is optional: a device point may only override. */
export const snmpPointInputSchema = z.strictObject({
  key: z.string().regex(KEY, KEY_RULE),
  oid: oidString().optional(),
  column: oidString().optional(),
  // a bare 1.2 in YAML is a number, and would lose "1.20": multi-part indexes must be quoted
  index: z
    .union([z.int().min(0), z.string().regex(INDEX, 'is not an index (like "1" or "1.2")')])
    .transform(String)
    .optional(),
  ...pointFields,
});
export type SnmpPointInput = z.infer<typeof snmpPointInputSchema>;

/**
 * A table point template: `{row}` in the key, a column OID, and the cell's index after the column
 * (default `{row}`; e.g. `"{row}.1"` where the table's index ends in a sensor type, as Raritan's).
 */
const tablePointSchema = z.strictObject({
  key: z
    .string()
    .regex(/^[a-z0-9_{}-]+$/, KEY_RULE)
    .refine((k) => k.includes('{row}'), 'must contain {row} (one key per row)'),
  column: oidString(),
  index: z
    .string()
    .regex(/^(\d+|\{row\})(\.(\d+|\{row\}))*$/, 'is not an index template (numbers and {row}, dot-separated, like "{row}.1")')
    .refine((t) => t.includes('{row}'), 'must contain {row}')
    .optional(),
  ...pointFields,
});
type TablePointInput = z.infer<typeof tablePointSchema>;

const rowsSchema = z.union([
  z.int().min(1).max(MAX_TABLE_ROWS),
  z.string().regex(/^\d+-\d+$/, 'is not a range like "1-24"'),
  z.array(rowIndex).min(1).max(MAX_TABLE_ROWS),
]);

const tableSchema = z.strictObject({
  rows: rowsSchema.optional(),
  labelOid: oidString().optional(),
  label: z.string().min(1).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  points: z.array(tablePointSchema).optional(),
});
type TableInput = z.infer<typeof tableSchema>;
const tablesSchema = z.record(z.string().regex(KEY, KEY_RULE), tableSchema);

const trapSchema = z.strictObject({
  name: z.string().min(1),
  oid: oidString(),
  set: z.record(z.string(), z.union([z.number(), z.boolean(), z.string(), z.null()])).optional(),
  severity: z.enum(TRAP_SEVERITIES).optional(),
});

/** A v3 (USM) user as written; `level` follows from the keys given. */
const v3UserFields = {
  authProtocol: z.enum(SNMP_AUTH_PROTOCOLS).optional(),
  authKey: envSecret().optional(),
  privProtocol: z.enum(SNMP_PRIV_PROTOCOLS).optional(),
  privKey: envSecret().optional(),
};
type V3Written = {
  user?: string;
  authProtocol?: SnmpV3Auth['authProtocol'];
  authKey?: Secret;
  privProtocol?: SnmpV3Auth['privProtocol'];
  privKey?: Secret;
};

function checkV3(u: V3Written, ctx: z.RefinementCtx, base: (string | number)[] = []): void {
  const issue = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [...base, field], message });
  if (u.authKey && !u.authProtocol) issue('authProtocol', 'required with authKey');
  if (u.authProtocol && !u.authKey) issue('authKey', `required with authProtocol`);
  if (u.privKey && !u.privProtocol) issue('privProtocol', 'required with privKey');
  if (u.privProtocol && !u.privKey) issue('privKey', 'required with privProtocol');
  if (u.privKey && !u.authKey) issue('privKey', 'needs authKey too (privacy without authentication is not an SNMPv3 level)');
}

function v3Auth(u: V3Written & { user: string }): SnmpV3Auth {
  const auth: SnmpV3Auth = { user: u.user, level: u.privKey ? 'authPriv' : u.authKey ? 'authNoPriv' : 'noAuthNoPriv' };
  if (u.authProtocol) auth.authProtocol = u.authProtocol;
  if (u.authKey) auth.authKey = u.authKey;
  if (u.privProtocol) auth.privProtocol = u.privProtocol;
  if (u.privKey) auth.privKey = u.privKey;
  return auth;
}

const v3UserSchema = z
  .strictObject({ user: z.string().min(1).max(32), ...v3UserFields })
  .superRefine((u, ctx) => checkV3(u, ctx))
  .transform(v3Auth);

/** `version: 1` and `version: 3` in YAML are numbers: accept them as the version names. */
const versionSchema = z.preprocess((v) => (typeof v === 'number' && (v === 1 || v === 3) ? String(v) : v), z.enum(SNMP_VERSIONS));

export const snmpConnectionSchema = z
  .strictObject({
    host: z.string().min(1),
    port: z.int().min(1).max(65535).default(DEFAULT_SNMP_PORT),
    version: versionSchema.default('2c'),
    community: envSecret().optional(),
    user: z.string().min(1).max(32).optional(),
    ...v3UserFields,
    timeoutMs: z.int().min(100).max(60_000).default(2000),
    retries: z.int().min(0).max(10).default(1),
    maxVarbinds: z.int().min(1).max(MAX_VARBINDS).default(32),
    trapSource: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    const issue = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
    if (c.version === '3') {
      if (!c.user) issue('user', 'required for version 3');
      if (c.community) issue('community', 'not for version 3 (give user, authKey, privKey)');
      checkV3(c, ctx);
    } else {
      // community is optional in the shape so a missing one reads "required for version 2c"
      if (c.community === undefined) issue('community', `required for version ${c.version}`);
      for (const f of ['user', 'authProtocol', 'authKey', 'privProtocol', 'privKey'] as const) {
        if (c[f] !== undefined) issue(f, 'only for version 3');
      }
    }
  })
  .transform((c): SnmpConnection => {
    const conn: SnmpConnection = {
      host: c.host,
      port: c.port,
      version: c.version,
      timeoutMs: c.timeoutMs,
      retries: c.retries,
      maxVarbinds: c.maxVarbinds,
    };
    if (c.version === '3') conn.v3 = v3Auth({ ...c, user: c.user! });
    else conn.community = c.community;
    if (c.trapSource) conn.trapSource = c.trapSource;
    return conn;
  });

/** The top-level `snmpTraps:` section (one receiver for the site). */
export const snmpTrapsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default('0.0.0.0'),
    // 0 asks the OS for a free port (tests)
    port: z.int().min(0).max(65535).default(DEFAULT_TRAP_PORT),
    communities: z.array(envSecret()).default([]),
    users: z.array(v3UserSchema).default([]),
    maxPerSecond: z.int().min(1).max(100_000).default(200),
  })
  .superRefine((s, ctx) => {
    if (s.enabled && s.communities.length === 0 && s.users.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['communities'], message: 'give communities (v1/v2c) or users (v3): otherwise every trap is refused' });
    }
  });

export const snmpDeviceShape = {
  connection: snmpConnectionSchema,
  tables: tablesSchema.optional(),
};

export const snmpProfileShape = {
  sysObjectID: z.array(oidString()).optional(),
  tables: tablesSchema.optional(),
  traps: z.array(trapSchema).optional(),
};

type Header = {
  sysObjectID?: string[];
  tables?: Record<string, TableInput>;
  traps?: z.output<typeof trapSchema>[];
  vendor?: string;
  model?: string;
};
type DeviceFields = { connection: SnmpConnection; tables?: Record<string, TableInput> };

/** "8" → 1..8, "3-5" → 3..5, [1, "1.2"] as given; a problem message otherwise. */
export function expandRows(rows: NonNullable<TableInput['rows']>): string[] | string {
  if (typeof rows === 'number') return Array.from({ length: rows }, (_, i) => String(i + 1));
  if (typeof rows === 'string') {
    const [from, to] = rows.split('-').map(Number) as [number, number];
    if (to < from) return `"${rows}" runs backwards`;
    if (to - from + 1 > MAX_TABLE_ROWS) return `"${rows}" has more than ${MAX_TABLE_ROWS} rows`;
    return Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
  }
  const dupe = rows.find((r, i) => rows.indexOf(r) !== i);
  return dupe !== undefined ? `row "${dupe}" is listed twice` : [...rows];
}

/** Profile and device tables, per table id: the device's fields win, labels merge row by row. */
function mergeTables(profile: Record<string, TableInput> = {}, device: Record<string, TableInput> = {}): Record<string, TableInput> {
  const out: Record<string, TableInput> = { ...profile };
  for (const [id, t] of Object.entries(device)) {
    const base = profile[id] ?? {};
    const merged: TableInput = { ...base, ...t };
    if (base.labels || t.labels) merged.labels = { ...base.labels, ...t.labels };
    out[id] = merged;
  }
  return out;
}

const fill = (text: string, vars: Record<string, string>) => text.replace(/\{(row|label)\}/g, (whole, name: string) => vars[name] ?? whole);

/** One point to resolve: its merged input and where its problems go. */
interface Candidate<W> {
  input: SnmpPointInput;
  where(field?: string): W;
  table?: { id: string; row: string };
}

const NUMERIC_TYPES: readonly SnmpType[] = ['integer', 'gauge', 'counter', 'counter64', 'timeticks'];
const INTEGER_TYPES: readonly SnmpType[] = ['integer', 'gauge'];

/** Checks one merged point and makes the SnmpPoint; undefined when it has a problem. */
function resolvePoint<W>(deviceId: string, c: Candidate<W>, problems: Located<W>[]): SnmpPoint | undefined {
  const p = c.input;
  const before = problems.length;
  const report = (message: string, field?: string) => problems.push({ where: c.where(field), message });
  let oid = p.oid;
  if (p.oid !== undefined && p.column !== undefined) report('give oid or column + index, not both', 'column');
  else if (p.column !== undefined) {
    if (p.index === undefined) report('required with column (the row: oid = column.index)', 'index');
    else oid = `${p.column}.${p.index}`;
  } else if (p.index !== undefined) report('only with column', 'index');
  if (oid === undefined && p.column === undefined) report('required (or column + index)', 'oid');

  const type = p.type;
  const labelled = ['enum', 'trueValues', 'bit'] as const;
  const given = labelled.filter((f) => p[f] !== undefined);
  if (given.length > 1) report(`give one of enum, trueValues, bit (got ${given.join(' and ')})`, given[1]);
  if (p.rate && type !== 'counter' && type !== 'counter64') report(`only for type counter or counter64${type ? `, not ${type}` : ' (give the type)'}`, 'rate');
  if (p.rate && given.length > 0) report(`not with ${given[0]}`, 'rate');
  if (type !== undefined) {
    const numeric = NUMERIC_TYPES.includes(type);
    for (const f of ['enum', 'trueValues'] as const) {
      if (p[f] !== undefined && !INTEGER_TYPES.includes(type)) report(`only for type integer or gauge, not ${type}`, f);
    }
    if (p.bit !== undefined && !INTEGER_TYPES.includes(type) && type !== 'string') report(`only for type integer, gauge or string (BITS), not ${type}`, 'bit');
    for (const f of ['scale', 'offset', 'sentinel'] as const) {
      if (p[f] !== undefined && !numeric) report(`only for numeric types, not ${type}`, f);
    }
  }
  if (p.falseValue !== undefined && p.trueValues === undefined) report('only with trueValues', 'falseValue');
  if (p.falseValue !== undefined && p.trueValues?.includes(p.falseValue)) report('is one of trueValues', 'falseValue');
  for (const f of ['scale', 'offset'] as const) {
    if (p[f] !== undefined && given.length > 0) report(`not with ${given[0]} (the value is a ${p.enum ? 'label' : 'boolean'})`, f);
  }
  if (problems.length > before || oid === undefined) return undefined;

  const point: SnmpPoint = { id: `${deviceId}.${p.key}`, key: p.key, name: p.name ?? p.key, oid };
  if (p.unit !== undefined) point.unit = p.unit;
  if (type !== undefined) point.type = type;
  if (p.rate) point.rate = true;
  for (const f of ['scale', 'offset', 'enum', 'trueValues', 'falseValue', 'bit', 'sentinel', 'write'] as const) {
    if (p[f] !== undefined) (point as unknown as Record<string, unknown>)[f] = p[f];
  }
  if (c.table) point.table = c.table;
  return point;
}

/** The key a trap `set` names may be a table template key ({row}) or one expanded key. */
function keyMatcher(keys: readonly string[], templates: readonly string[]): (key: string) => boolean {
  const patterns = templates.map((t) => new RegExp(`^${t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{row\\?\}/g, '[0-9_]+')}$`));
  const known = new Set(keys);
  return (key) => known.has(key) || templates.includes(key) || patterns.some((re) => re.test(key));
}

export const snmpConfigPlugin: DriverConfigPlugin<SnmpDeviceConfig> = {
  deviceShape: snmpDeviceShape,
  profileShape: snmpProfileShape,
  pointSchema: snmpPointInputSchema,
  build<W>({ common, fields, profile, points, at, disabledKeys }: BuildInput<W>) {
    const own = fields as DeviceFields | undefined;
    const header = (profile ?? {}) as Header;
    const problems: Located<W>[] = [];
    const tablesAt = at('tables');
    const tableProblem = (message: string) => problems.push({ where: tablesAt, message });

    // 1. Tables: rows and point templates, expanded to candidates (row-major: all of row 1 first).
    const tables = mergeTables(header.tables, own?.tables);
    const loaded: Record<string, SnmpTable> = {};
    const expanded: Candidate<W>[] = [];
    const templateKeys: string[] = [];
    for (const [id, t] of Object.entries(tables)) {
      const templates: TablePointInput[] = t.points ?? [];
      templateKeys.push(...templates.map((tp) => tp.key));
      if (templates.length === 0) tableProblem(`${id}: points: required (the table's column templates)`);
      let rows: string[] | undefined;
      if (t.rows === undefined) {
        // A profile may leave the row count to each device (outlet strips of 8 or 24).
        if (own) tableProblem(`${id}: rows: required (neither the profile nor the device gives them)`);
      } else {
        const r = expandRows(t.rows);
        if (typeof r === 'string') tableProblem(`${id}: rows: ${r}`);
        else rows = r;
      }
      for (const row of Object.keys(t.labels ?? {})) {
        if (rows && !rows.includes(row)) tableProblem(`${id}: labels: "${row}" is not one of the table's rows`);
      }
      const tableRows = rows ?? [];
      loaded[id] = { rows: tableRows, labels: { ...t.labels } };
      if (t.labelOid) loaded[id].labelOid = t.labelOid;
      // A profile without rows still has its templates checked, on a stand-in row.
      for (const row of rows ?? (own ? [] : ['1'])) {
        const label = t.labels?.[row] ?? fill(t.label ?? `${id} {row}`, { row });
        for (const [i, tp] of templates.entries()) {
          const { column, index, ...rest } = tp;
          const input: SnmpPointInput = {
            ...rest,
            key: fill(tp.key, { row: row.replace(/\./g, '_') }),
            column,
            index: index === undefined ? row : fill(index, { row }),
          };
          if (tp.name !== undefined) input.name = fill(tp.name, { row, label });
          expanded.push({ input, where: () => tablesAt, table: { id, row } });
          if (!KEY.test(input.key)) tableProblem(`${id}: points[${i}].key: "${tp.key}" has braces other than {row}`);
        }
      }
    }

    // 2. Merge: a written point with an expanded key overrides it; the rest keep their order.
    const written = points as PointSource<W, SnmpPointInput>[];
    const byKey = new Map(written.map((s) => [s.input.key, s]));
    const expandedKeys = new Set(expanded.map((c) => c.input.key));
    const dropped = new Set(disabledKeys ?? []);
    const candidates: Candidate<W>[] = written
      .filter((s) => !expandedKeys.has(s.input.key))
      .map((s) => ({ input: s.input, where: (field) => s.where(field) }));
    for (const c of expanded) {
      const over = byKey.get(c.input.key);
      if (dropped.has(c.input.key) || over?.input.disabled) continue;
      if (!over) candidates.push(c);
      else {
        const where = (field?: string) => (field !== undefined && field in over.input ? over.where(field) : c.where(field));
        candidates.push({ input: { ...c.input, ...over.input }, where, table: c.table });
      }
    }

    // 3. Points, one by one; a duplicate key from two tables is reported once.
    const resolved: SnmpPoint[] = [];
    const seen = new Set<string>();
    for (const c of candidates) {
      if (seen.has(c.input.key)) {
        problems.push({ where: c.where('key'), message: `duplicate key "${c.input.key}" (two tables or a table and a point expand to it)` });
        continue;
      }
      seen.add(c.input.key);
      const point = resolvePoint(common.id, c, problems);
      if (point) resolved.push(point);
    }

    // 4. Traps: `set` keys must be points (checked on the profile, where they are written).
    const traps: SnmpTrapRule[] = [];
    const isKnown = keyMatcher(
      candidates.map((c) => c.input.key),
      templateKeys,
    );
    const finalKeys = new Set(resolved.map((p) => p.key));
    const oids = new Map<string, string>();
    for (const [i, t] of (header.traps ?? []).entries()) {
      const label = `traps[${i}] (${t.name})`;
      const first = oids.get(t.oid);
      if (first !== undefined) problems.push({ where: at('traps'), message: `${label}: oid ${t.oid} is also trap "${first}"` });
      else oids.set(t.oid, t.name);
      const set: Record<string, PointValue> = {};
      for (const [key, value] of Object.entries(t.set ?? {})) {
        if (!own && !isKnown(key)) problems.push({ where: at('traps'), message: `${label}: set: "${key}" is not a point of this profile` });
        // a device may disable a point a trap sets: the trap then only logs its event
        if (own ? finalKeys.has(key) : true) set[key] = value;
      }
      const rule: SnmpTrapRule = { name: t.name, oid: t.oid, set };
      if (t.severity) rule.severity = t.severity;
      traps.push(rule);
    }

    if (!own) return { problems };
    const device: SnmpDeviceConfig = {
      ...common,
      driver: 'snmp',
      connection: own.connection,
      points: resolved,
      traps,
      tables: loaded,
    };
    if (header.sysObjectID) device.sysObjectID = header.sysObjectID;
    if (header.vendor) device.vendor = header.vendor;
    if (header.model) device.model = header.model;
    return { device, problems };
  },
};
