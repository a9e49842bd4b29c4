import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { type CatalogEntry, headerInfo, loadCatalog } from '../../config/profile-catalog.js';
import { builtinProfilesDir, defaultProfilesDirs } from '../../config/profiles.js';
import { closest } from '../../config/schema.js';
import { formatProblem } from '../../core/errors.js';

/**
 * `gateway profiles list` and `gateway profiles show NAME`: the equipment profile library (and,
 * with --config, the site's own profiles/ folder, which comes first as it does for devices).
 */
export function profilesCommand(sub: string | undefined, name: string | undefined, config: string | undefined): number {
  const entries = catalogFor(config);
  if (sub === 'list') {
    process.stdout.write(listText(entries));
    return 0;
  }
  if (sub === 'show') {
    if (!name) throw new Error('usage: gateway profiles show NAME');
    const entry = entries.find((e) => e.name === name);
    if (!entry) {
      const names = entries.map((e) => e.name);
      const near = closest(name, names);
      const hint = near ? ` (did you mean "${near}"?)` : '';
      process.stderr.write(`gateway: unknown profile "${name}"${hint}\navailable: ${names.join(', ') || 'none'}\n`);
      return 1;
    }
    process.stdout.write(showText(entry));
    return entry.profile.problems.length > 0 ? 1 : 0;
  }
  throw new Error(`usage: gateway profiles list|show NAME (got "${sub ?? ''}")`);
}

/** The site's profiles/ first (when --config is given), then the built-in library; a name is shown once. */
function catalogFor(config: string | undefined): CatalogEntry[] {
  const dirs = config ? defaultProfilesDirs(config) : [builtinProfilesDir()];
  const seen = new Set<string>();
  const out: CatalogEntry[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of loadCatalog(dir)) {
      if (seen.has(entry.name)) continue;
      seen.add(entry.name);
      out.push(entry);
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

const SOURCE_WIDTH = 60;

function listText(entries: readonly CatalogEntry[]): string {
  const rows = entries.map((e) => {
    const h = headerInfo(e);
    const source = e.source ?? '(no # Source: line)';
    return [
      e.name,
      h.kind ?? '?',
      h.driver ?? '?',
      h.vendor ?? '-',
      h.model ?? '-',
      String(pointCount(e)),
      e.profile.problems.length > 0 ? 'BROKEN' : h.verified === false ? 'no' : 'yes',
      source.length > SOURCE_WIDTH ? `${source.slice(0, SOURCE_WIDTH - 1)}…` : source,
    ];
  });
  const header = ['NAME', 'KIND', 'DRIVER', 'VENDOR', 'MODEL', 'POINTS', 'VERIFIED', 'SOURCE'];
  return `${columns([header, ...rows])}${entries.length} profiles\n`;
}

function showText(e: CatalogEntry): string {
  const h = headerInfo(e);
  const out: string[] = [];
  out.push(`${e.name} (${relative(process.cwd(), e.file) || e.file})`);
  out.push(`  name:     ${e.profile.header?.name ?? '?'}`);
  out.push(`  kind:     ${h.kind ?? '?'}`);
  out.push(`  driver:   ${h.driver ?? '?'}`);
  out.push(`  vendor:   ${h.vendor ?? '-'}`);
  out.push(`  model:    ${h.model ?? '-'}`);
  out.push(`  verified: ${h.verified === false ? 'no (see the source comment)' : 'yes'}`);
  out.push('', 'Source comment:');
  out.push(...(e.comment.length > 0 ? e.comment.map((l) => `  ${l}`) : ['  (none)']));

  const points = e.profile.points.map((p) => p.input as Written);
  out.push('', `Points (${points.length}):`);
  out.push(indent(columns([['KEY', 'NAME', 'UNIT', 'ADDRESS/OID'], ...points.map((p) => pointRow(p))])));

  for (const [id, table] of Object.entries(tablesOf(e))) {
    out.push('', `Table ${id} (rows ${JSON.stringify(table.rows ?? '?')}):`);
    out.push(indent(columns([['KEY', 'NAME', 'UNIT', 'OID'], ...(table.points ?? []).map((p) => pointRow(p))])));
  }

  const alarms = e.profile.alarms ?? [];
  out.push('', `Alarms (${alarms.length}):`);
  const alarmRows = alarms.map((a) => {
    const r = a.input as Record<string, unknown>;
    return [String(r.id), String(r.point ?? '-'), conditionText(r), String(r.severity ?? '-')];
  });
  out.push(indent(columns([['ID', 'POINT', 'CONDITION', 'SEVERITY'], ...alarmRows])));

  // default analytics for every device of the profile (a site's analytics: entry replaces one)
  const analytics = e.profile.analytics ?? [];
  if (analytics.length > 0) {
    out.push('', `Analytics (${analytics.length}):`);
    const analyticsRows = analytics.map((a) => {
      const checks = [
        ...(a.anomaly ? [`anomaly: ${a.anomaly.kinds.join(', ')}`] : []),
        ...(a.forecast ? [`forecast ${a.forecast.horizonMin} min`] : []),
        ...(a.battery ? [`battery runtime (load ${a.battery.load})`] : []),
      ];
      return [a.points, a.enabled ? checks.join('; ') || 'baseline only' : 'off'];
    });
    out.push(indent(columns([['POINTS', 'CHECKS'], ...analyticsRows])));
  }

  if (e.profile.problems.length > 0) {
    out.push('', `${e.profile.problems.length} problem(s):`, ...e.profile.problems.map((p) => `  ${formatProblem(p)}`));
  }
  return `${out.join('\n').replace(/[ \t]+$/gm, '')}\n`;
}

type Written = Record<string, unknown> & { key: string };
type Table = { rows?: unknown; points?: Written[] };

function tablesOf(e: CatalogEntry): Record<string, Table> {
  return ((e.profile.header as { tables?: Record<string, Table> } | undefined)?.tables ?? {}) as Record<string, Table>;
}

function pointRow(p: Written): string[] {
  return [p.key, String(p.name ?? ''), String(p.unit ?? ''), addressText(p)];
}

/** Where a point is read: a Modbus table and address, or an SNMP OID (a table column + `.{row}`). */
function addressText(p: Written): string {
  if (typeof p.oid === 'string') return p.oid;
  if (typeof p.column === 'string') return `${p.column}.${typeof p.index === 'string' ? p.index : '{row}'}`;
  if (p.address === undefined) return '-';
  const bit = p.bit !== undefined ? ` bit ${String(p.bit)}` : '';
  return `${p.table ? `${String(p.table)} ` : ''}${String(p.address)}${p.type ? ` ${String(p.type)}` : ''}${bit}`;
}

const CONDITIONS = ['hihi', 'hi', 'lo', 'lolo', 'equals', 'notEquals', 'bitSet', 'in', 'ratePerMin', 'staleS', 'commLossS'] as const;

function conditionText(r: Record<string, unknown>): string {
  const parts = CONDITIONS.filter((c) => r[c] !== undefined).map((c) => `${c} ${JSON.stringify(r[c])}`);
  if (r.deadband !== undefined) parts.push(`deadband ${String(r.deadband)}`);
  if (r.onDelayS !== undefined) parts.push(`after ${String(r.onDelayS)} s`);
  return parts.join(', ') || '-';
}

/** Scalar points plus each table point once per row (rows: 8, "1-24" or a list). */
function pointCount(e: CatalogEntry): number {
  let n = e.profile.points.length;
  for (const table of Object.values(tablesOf(e))) n += (table.points?.length ?? 0) * rowCount(table.rows);
  return n;
}

function rowCount(rows: unknown): number {
  if (typeof rows === 'number') return rows;
  if (Array.isArray(rows)) return rows.length;
  const range = typeof rows === 'string' ? /^(\d+)-(\d+)$/.exec(rows) : null;
  return range ? Number(range[2]) - Number(range[1]) + 1 : 1;
}

function columns(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`).join('');
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
