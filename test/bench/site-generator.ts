/**
 * Site configs for benchmarks: many generated Modbus devices on loopback, written as the YAML an
 * integrator would write, so the gateway under test loads them through its real config loader.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Document, isPair, isScalar, isSeq, visit } from 'yaml';

/** A point as written in YAML (the subset the generator uses). */
export interface GeneratedPoint {
  key: string;
  table: 'holding';
  address: number;
  type: 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32';
  scale?: number;
  offset?: number;
  binaryPoint?: number;
  bit?: number;
  sentinel?: number[];
  wordOrder?: 'ABCD' | 'CDAB';
}

type Shape = Omit<GeneratedPoint, 'key' | 'address' | 'table'>;

/**
 * The kinds of register a real map mixes: decimal and binary-point scaling, 32-bit values in
 * both word orders, a sentinel, a status bit. 10 points in 13 registers.
 */
const MIXED: readonly Shape[] = [
  { type: 'uint16' },
  { type: 'int16', scale: 0.1 },
  { type: 'uint32', scale: 0.1 },
  { type: 'float32', wordOrder: 'CDAB' },
  { type: 'int16', scale: 0.01 },
  { type: 'uint16', binaryPoint: 3 },
  { type: 'uint16', sentinel: [0xffff] },
  { type: 'int32' },
  { type: 'uint16', bit: 0 },
  { type: 'uint16', scale: 0.1, offset: -40 },
];

const WIDTH: Record<GeneratedPoint['type'], number> = { uint16: 1, int16: 1, uint32: 2, int32: 2, float32: 2 };

/** `count` contiguous holding-register points cycling through `shapes`, from address 0. */
function contiguous(count: number, shapes: readonly Shape[]): GeneratedPoint[] {
  const points: GeneratedPoint[] = [];
  let address = 0;
  for (let i = 0; i < count; i++) {
    const shape = shapes[i % shapes.length]!;
    points.push({ key: `p${i}`, table: 'holding', address, ...shape });
    address += WIDTH[shape.type];
  }
  return points;
}

/** A realistic mix of types and scales; contiguous, so a device of ≤ 96 points is one request. */
export function mixedPoints(count: number): GeneratedPoint[] {
  return contiguous(count, MIXED);
}

/** One 16-bit point per register (alternating uint16 / int16), so points/s equals registers/s. */
export function registerPoints(count: number): GeneratedPoint[] {
  return contiguous(count, [{ type: 'uint16' }, { type: 'int16' }]);
}

/** The profile the generated devices use (written to `profiles/` beside the site file). */
export const BENCH_PROFILE = 'bench-device';

export interface BenchSiteOptions {
  gatewayId?: string;
  dataDir: string;
  httpPort: number;
  /** simulated Modbus TCP ports; devices are spread evenly over them, one unit id each */
  modbusPorts: readonly number[];
  devices: number;
  /** every device's points */
  points: readonly GeneratedPoint[];
  /**
   * Repeat the points in every device instead of one profile. Profiles are how sites are
   * written; inline points make a far larger file (~800 kB for 10 000 points).
   */
  inlinePoints?: boolean;
  pollIntervalMs: number;
  timeoutMs?: number;
  /** default: the gateway's own default */
  synchronous?: 'full' | 'normal';
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** The site config as a plain object (what the YAML file holds). */
export function benchSite(opts: BenchSiteOptions): Record<string, unknown> {
  const perPort = Math.ceil(opts.devices / opts.modbusPorts.length);
  if (perPort > 247) throw new RangeError(`${perPort} devices per port: more than the 247 unit ids Modbus has`);
  const devices = Array.from({ length: opts.devices }, (_, i) => ({
    id: `dev${String(i + 1).padStart(3, '0')}`,
    name: `Bench device ${i + 1}`,
    kind: 'sensor',
    driver: 'modbus',
    connection: {
      host: '127.0.0.1',
      port: opts.modbusPorts[Math.floor(i / perPort)]!,
      unitId: (i % perPort) + 1,
      timeoutMs: opts.timeoutMs ?? 1000,
    },
    pollIntervalMs: opts.pollIntervalMs,
    ...(opts.inlinePoints ? { points: opts.points } : { profile: BENCH_PROFILE }),
  }));
  return {
    gateway: { id: opts.gatewayId ?? 'bench-gw', dataDir: opts.dataDir, logLevel: opts.logLevel ?? 'warn' },
    http: { host: '127.0.0.1', port: opts.httpPort },
    storage: {
      ...(opts.synchronous ? { synchronous: opts.synchronous } : {}),
      // No deletes while measuring: the run is far shorter than any retention period.
      retention: { maxAgeDays: 0, maxSizeMB: 0 },
    },
    devices,
  };
}

export function benchProfile(points: readonly GeneratedPoint[]): Record<string, unknown> {
  return { name: 'Generated benchmark device', kind: 'sensor', driver: 'modbus', points };
}

/** One line per point (flow style) keeps long point lists readable; device entries stay blocks. */
function toYaml(value: Record<string, unknown>): string {
  // Devices share one point list object; YAML anchors for it would trip the loader's alias limit.
  const doc = new Document(value, { aliasDuplicateObjects: false });
  visit(doc, {
    Map(_, node, path) {
      const pair = path[2];
      const deviceEntry = path.length === 4 && isSeq(path[3]) && isPair(pair) && isScalar(pair.key) && pair.key.value === 'devices';
      node.flow = path.length > 2 && !deviceEntry;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/**
 * Writes `site.yaml` (and `profiles/bench-device.yaml`) into `dir`; returns the site file's path.
 * `site`: benchSite(opts) with sections a benchmark added (an MQTT broker, more devices).
 */
export function writeBenchSite(dir: string, opts: BenchSiteOptions, site: Record<string, unknown> = benchSite(opts)): string {
  if (!opts.inlinePoints) {
    mkdirSync(join(dir, 'profiles'), { recursive: true });
    writeFileSync(join(dir, 'profiles', `${BENCH_PROFILE}.yaml`), toYaml(benchProfile(opts.points)));
  }
  const file = join(dir, 'site.yaml');
  writeFileSync(file, toYaml(site));
  return file;
}
