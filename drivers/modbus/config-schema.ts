/**
 * Modbus config: the YAML shape of connections and points (zod), and the step that turns a
 * device's merged point list into ModbusPoints, checking what one field alone cannot show (table
 * vs type, widths, overlaps). Problems are returned against an opaque location `W` so this file
 * knows nothing of files and lines.
 *
 * Addresses: a number is the 0-based protocol address (0–65535) in the point's `table`. A string
 * is the 1-based "reference" style found in vendor manuals: 5 digits `40001`..`49999` or 6 digits
 * `400001`..`465536`. The leading digit names the table (0 coil, 1 discrete input, 3 input
 * register, 4 holding register) and the address is the rest minus 1, so "40001" is holding 0 and
 * "300011" is input 10. A reference implies the table; a `table` given beside it must agree.
 * YAML reads an unquoted 40001 as a number, so reference addresses must be quoted.
 */
import { z } from 'zod';
import { writeSpecSchema } from '../../core/write-spec.js';
import type {
  BuildInput,
  DriverConfigPlugin,
  PointSource as GenericPointSource,
  Located,
} from '../../core/driver-config.js';
import type { ModbusConnection, ModbusDeviceConfig } from './device.js';
import {
  isBitTable,
  MODBUS_TABLES,
  MODBUS_TYPES,
  type ModbusPoint,
  type ModbusTable,
  type ModbusType,
  pointWidth,
  WORD_ORDERS,
  type WordOrder,
} from './point.js';

const KEY = /^[a-z0-9_-]+$/;
const KEY_RULE = 'has characters other than a-z, 0-9, _ and -';

/** The most registers one read request may carry (Modbus application protocol, FC 3/4). */
export const MAX_REGISTERS_PER_REQUEST = 125;
/** The most coils or discrete inputs one read request may carry (FC 1/2). */
export const MAX_BITS_PER_REQUEST = 2000;
export const DEFAULT_MAX_GAP = 8;

/** A point as written in YAML. Every field but `key` is optional: a device point may only override. */
export const modbusPointInputSchema = z.strictObject({
  key: z.string().regex(KEY, KEY_RULE),
  name: z.string().min(1).optional(),
  unit: z.string().optional(),
  table: z.enum(MODBUS_TABLES).optional(),
  // Range and reference syntax are checked in resolveModbusPoints, for clearer messages.
  address: z.union([z.number(), z.string()]).optional(),
  type: z.enum(MODBUS_TYPES).optional(),
  length: z.int().min(1).optional(),
  wordOrder: z.enum(WORD_ORDERS).optional(),
  scale: z
    .number()
    .refine((n) => n !== 0, 'must not be 0')
    .optional(),
  offset: z.number().optional(),
  binaryPoint: z.int().min(0).max(31).optional(),
  bit: z.int().min(0).max(15).optional(),
  enum: z.record(z.string(), z.string()).optional(),
  sentinel: z.array(z.int()).optional(),
  disabled: z.boolean().optional(),
  write: writeSpecSchema.optional(),
});
export type ModbusPointInput = z.infer<typeof modbusPointInputSchema>;

const unitId = (max: number) => z.int().min(0).max(max).default(1);
const timeoutMs = z.int().min(1).max(60_000).default(1000);
const host = z.string().min(1);
const port = z.int().min(1).max(65535).default(502);

const tcpConnection = z.strictObject({ transport: z.literal('tcp'), host, port, unitId: unitId(255), timeoutMs });
const rtuOverTcpConnection = z.strictObject({
  transport: z.literal('rtu-over-tcp'),
  host,
  port,
  unitId: unitId(247),
  timeoutMs,
});
const rtuConnection = z.strictObject({
  transport: z.literal('rtu'),
  serialPort: z.string().min(1),
  baudRate: z.int().min(300).max(921_600).default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  unitId: unitId(247),
  timeoutMs,
});

/** `transport` defaults to tcp, so the common case is just `{ host }`. */
export const modbusConnectionSchema = z.preprocess(
  (v) => (v && typeof v === 'object' && !Array.isArray(v) && !('transport' in v) ? { transport: 'tcp', ...v } : v),
  z.discriminatedUnion('transport', [tcpConnection, rtuOverTcpConnection, rtuConnection]),
);

/** Request-planning fields a device (or a profile, for its model's quirks) may set. */
export const modbusLimitsShape = {
  wordOrder: z.enum(WORD_ORDERS).optional(),
  maxRegisters: z.int().min(1).max(MAX_REGISTERS_PER_REQUEST).optional(),
  maxBits: z.int().min(1).max(MAX_BITS_PER_REQUEST).optional(),
  maxGap: z.int().min(0).max(MAX_REGISTERS_PER_REQUEST).optional(),
};

/** Device fields only a Modbus device has (the loader adds id, name, kind, points, ...). */
export const modbusDeviceShape = { connection: modbusConnectionSchema, ...modbusLimitsShape };

const REFERENCE_TABLE: Record<string, ModbusTable> = { '0': 'coil', '1': 'discrete', '3': 'input', '4': 'holding' };

/** Parses a 1-based reference address ("40001", "400001"); undefined when it is not one. */
export function parseReferenceAddress(ref: string): { table: ModbusTable; address: number } | undefined {
  const m = /^([0134])(\d{4,5})$/.exec(ref);
  if (!m) return undefined;
  const n = Number(m[2]);
  const max = m[2]!.length === 4 ? 9999 : 65536;
  if (n < 1 || n > max) return undefined;
  return { table: REFERENCE_TABLE[m[1]!]!, address: n - 1 };
}

/** One merged Modbus point and where its problems are reported. */
export type PointSource<W> = GenericPointSource<W, ModbusPointInput>;
export type PointProblem<W> = Located<W>;

export interface PointDefaults<W> {
  deviceId: string;
  wordOrder: WordOrder;
  maxRegisters: number;
  /** where "maxRegisters is too small for this point" is reported */
  maxRegistersWhere: W;
}

const NUMERIC_ONLY = ['scale', 'offset', 'binaryPoint', 'enum', 'sentinel'] as const;

/** Turns merged point inputs into ModbusPoints; a point with any problem is left out. */
export function resolveModbusPoints<W>(
  sources: readonly PointSource<W>[],
  defaults: PointDefaults<W>,
): { points: ModbusPoint[]; problems: PointProblem<W>[] } {
  const problems: PointProblem<W>[] = [];
  const resolved: { point: ModbusPoint; source: PointSource<W> }[] = [];
  for (const source of sources) {
    const before = problems.length;
    const report = (message: string, field?: keyof ModbusPointInput, key?: string) =>
      problems.push({ where: source.where(field, key), message });
    const point = resolveOne(source.input, defaults, report);
    if (point && problems.length === before) resolved.push({ point, source });
    const width = point && !isBitTable(point.table) ? pointWidth(point) : 0;
    if (width > defaults.maxRegisters && width <= MAX_REGISTERS_PER_REQUEST) {
      const message = `${defaults.maxRegisters} is too small: point "${point!.key}" needs ${width} registers`;
      problems.push({ where: defaults.maxRegistersWhere, message });
    }
  }
  problems.push(...findOverlaps(resolved));
  return { points: resolved.map((r) => r.point), problems };
}

type Report = (message: string, field?: keyof ModbusPointInput, key?: string) => void;

function resolveOne(p: ModbusPointInput, d: Pick<PointDefaults<unknown>, 'deviceId' | 'wordOrder'>, report: Report): ModbusPoint | undefined {
  let address: number | undefined;
  let refTable: ModbusTable | undefined;
  if (p.address === undefined) {
    report('required', 'address');
  } else if (typeof p.address === 'string') {
    const ref = parseReferenceAddress(p.address);
    if (!ref) report(`"${p.address}" is not a reference address (1-based, like "40001" or "400001")`, 'address');
    else ({ table: refTable, address } = ref);
  } else if (!Number.isInteger(p.address)) report(`expected a whole number, got ${p.address}`, 'address');
  else if (p.address < 0) report(`${p.address} is below 0`, 'address');
  else if (p.address > 65535) report(`${p.address} exceeds 65535`, 'address');
  else address = p.address;

  if (refTable && p.table && refTable !== p.table) {
    report(`"${p.address}" is in the ${refTable} table, but table is ${p.table}`, 'address');
  }
  const table = p.table ?? refTable;
  // A bad reference string already explains the missing table.
  if (!table && typeof p.address === 'string') return undefined;
  if (!table) {
    const looksLikeRef = typeof p.address === 'number' && parseReferenceAddress(String(p.address));
    report(looksLikeRef ? `required (or quote the address, "${p.address}", to use the 1-based reference style)` : 'required', 'table');
    return undefined;
  }
  const type: ModbusType = p.type ?? (isBitTable(table) ? 'bool' : 'uint16');
  checkTypeFields(p, table, type, report);
  const width = pointWidth({ table, type, length: p.length });
  if (address !== undefined && address + width - 1 > 65535) {
    report(`${type} at ${address} needs ${width} registers and runs past 65535`, 'address');
  }
  if (!isBitTable(table) && width > MAX_REGISTERS_PER_REQUEST) {
    report(`needs ${width} registers, more than one request can read (${MAX_REGISTERS_PER_REQUEST})`, 'length');
  }
  if (address === undefined) return undefined;

  const point: ModbusPoint = {
    id: `${d.deviceId}.${p.key}`,
    key: p.key,
    name: p.name ?? p.key,
    table,
    address,
    type,
    wordOrder: p.wordOrder ?? d.wordOrder,
  };
  if (p.unit !== undefined) point.unit = p.unit;
  if (p.length !== undefined) point.length = p.length;
  for (const f of ['scale', 'offset', 'binaryPoint', 'bit', 'enum', 'sentinel', 'write'] as const) {
    if (p[f] !== undefined) (point as unknown as Record<string, unknown>)[f] = p[f];
  }
  return point;
}

function checkTypeFields(p: ModbusPointInput, table: ModbusTable, type: ModbusType, report: Report): void {
  if (isBitTable(table) && type !== 'bool') report(`${table} points are bool, got ${type}`, 'type');
  if (type === 'string' && p.length === undefined) report('required for type string', 'length');
  if (type !== 'string' && p.length !== undefined) report(`only for type string, not ${type}`, 'length');
  if (p.bit !== undefined && !(type === 'int16' || type === 'uint16') && !isBitTable(table)) {
    report(`needs type int16 or uint16, got ${type}`, 'bit');
  }
  if (p.bit !== undefined && isBitTable(table)) report(`not for ${table} points (they are single bits already)`, 'bit');
  const notNumeric = type === 'bool' || type === 'string' ? `type ${type}` : p.bit !== undefined ? 'bit points' : '';
  for (const f of NUMERIC_ONLY) if (notNumeric && p[f] !== undefined) report(`not for ${notNumeric}`, f);
  for (const key of Object.keys(p.enum ?? {})) {
    if (!/^-?\d+$/.test(key)) report(`enum key "${key}" is not an integer`, 'enum', key);
  }
  if (p.write) checkWriteSpec(p, table, type, report);
}

/**
 * Only holding registers and coils can be written; a bit inside a register would need a
 * read-modify-write that could overwrite the device's own change to the other bits, so it is refused.
 */
function checkWriteSpec(p: ModbusPointInput, table: ModbusTable, type: ModbusType, report: Report): void {
  const w = p.write!;
  if (table === 'input' || table === 'discrete') report(`${table === 'input' ? 'input registers' : 'discrete inputs'} cannot be written`, 'write');
  else if (p.bit !== undefined) report('a bit of a register cannot be written (write the whole register as a point)', 'write');
  const isBool = type === 'bool';
  const isEnum = p.enum !== undefined;
  if (w.values !== undefined && !isBool && !isEnum) report('values: only for enum or bool points', 'write');
  if (isBool || isEnum || type === 'string') {
    for (const f of ['min', 'max', 'step'] as const) {
      if (w[f] !== undefined) report(`${f}: only for numeric points, not ${isEnum ? 'enum' : type} points`, 'write');
    }
  }
  if (isEnum && w.values !== undefined) {
    const labels = new Set(Object.values(p.enum!));
    for (const v of w.values) if (typeof v !== 'string' || !labels.has(v)) report(`values: ${JSON.stringify(v)} is not one of the enum's labels`, 'write');
  }
  if (isBool && w.values !== undefined) {
    for (const v of w.values) if (typeof v !== 'boolean') report(`values: ${JSON.stringify(v)} is not true or false`, 'write');
  }
}

interface Span<W> {
  point: ModbusPoint;
  source: PointSource<W>;
  end: number;
}

function spanText(s: Span<unknown>): string {
  const a = s.point.address;
  return `${s.point.table} ${s.end > a ? `${a}-${s.end}` : a}`;
}

/** Bit points may share one register with each other (different bits); nothing else may share. */
function compatible(a: ModbusPoint, b: ModbusPoint): boolean {
  return a.bit !== undefined && b.bit !== undefined && a.bit !== b.bit && a.address === b.address;
}

function findOverlaps<W>(resolved: readonly { point: ModbusPoint; source: PointSource<W> }[]): PointProblem<W>[] {
  const problems: PointProblem<W>[] = [];
  const blamed = new Set<ModbusPoint>();
  const order = new Map(resolved.map((r, i) => [r.point, i]));
  const spans: Span<W>[] = resolved
    .map((r) => ({ ...r, end: r.point.address + pointWidth(r.point) - 1 }))
    .sort((a, b) => a.point.table.localeCompare(b.point.table) || a.point.address - b.point.address);
  let active: Span<W>[] = [];
  for (const span of spans) {
    active = active.filter((s) => s.point.table === span.point.table && s.end >= span.point.address);
    for (const other of active) {
      if (compatible(span.point, other.point)) continue;
      // Blame the point the site file wrote, else the later one in the list.
      const [bad, good] =
        span.source.origin !== other.source.origin
          ? span.source.origin === 'device'
            ? [span, other]
            : [other, span]
          : order.get(span.point)! > order.get(other.point)!
            ? [span, other]
            : [other, span];
      if (blamed.has(bad.point)) continue;
      blamed.add(bad.point);
      problems.push({
        where: bad.source.where('address'),
        message: `"${bad.point.key}" (${spanText(bad)}) overlaps "${good.point.key}" (${spanText(good)})`,
      });
    }
    active.push(span);
  }
  return problems;
}

/** The Modbus driver's part of the config loader. */
export const modbusConfigPlugin: DriverConfigPlugin<ModbusDeviceConfig> = {
  deviceShape: modbusDeviceShape,
  profileShape: modbusLimitsShape,
  pointSchema: modbusPointInputSchema,
  build<W>({ common, fields, profile, points, at }: BuildInput<W>) {
    type Limits = { wordOrder?: WordOrder; maxRegisters?: number; maxBits?: number; maxGap?: number };
    const own = fields as (Limits & { connection: ModbusConnection }) | undefined;
    const header = profile as Limits | undefined;
    const wordOrder = own?.wordOrder ?? header?.wordOrder ?? 'ABCD';
    const maxRegisters = own?.maxRegisters ?? header?.maxRegisters ?? MAX_REGISTERS_PER_REQUEST;
    const checked = resolveModbusPoints(points as PointSource<W>[], {
      deviceId: common.id,
      wordOrder,
      maxRegisters,
      maxRegistersWhere: at('maxRegisters'),
    });
    if (!own) return { problems: checked.problems };
    const device: ModbusDeviceConfig = {
      ...common,
      driver: 'modbus',
      connection: own.connection,
      wordOrder,
      maxRegisters,
      maxBits: own.maxBits ?? header?.maxBits ?? MAX_BITS_PER_REQUEST,
      maxGap: own.maxGap ?? header?.maxGap ?? DEFAULT_MAX_GAP,
      points: checked.points,
    };
    return { device, problems: checked.problems };
  },
};
