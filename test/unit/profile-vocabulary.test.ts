/**
 * The profile library speaks one vocabulary: every point key of every profile in config/profiles/
 * is a key of its kind in config/vocabulary.yaml, with the same unit and a value of the same type,
 * and docs/point-vocabulary.md lists exactly the keys the YAML has. Every profile also says where
 * its map comes from (a `# Source:` first line) and who made the equipment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type CatalogEntry, headerInfo, loadCatalog } from '../../config/profile-catalog.js';
import { builtinProfilesDir } from '../../config/profiles.js';
import { formatProblem } from '../../core/errors.js';
import { REPO_ROOT } from '../helpers/cli.js';

type ValueType = 'number' | 'boolean' | 'string';
interface Term {
  name: string;
  unit?: string;
  type: ValueType;
}
type Vocabulary = Record<string, Record<string, Term>>;

const vocabulary = parse(readFileSync(join(REPO_ROOT, 'config', 'vocabulary.yaml'), 'utf8')) as Vocabulary;
const doc = readFileSync(join(REPO_ROOT, 'docs', 'point-vocabulary.md'), 'utf8');
const catalog = loadCatalog(builtinProfilesDir());

/** `outlet_{n}_current` matches `outlet_12_current`; `{n}` stands for a row number. */
function termFor(kind: string, key: string): Term | undefined {
  const terms = vocabulary[kind] ?? {};
  if (terms[key]) return terms[key];
  for (const [pattern, term] of Object.entries(terms)) {
    if (!pattern.includes('{n}')) continue;
    const re = new RegExp(`^${pattern.split('{n}').map(escapeRegExp).join('\\d+')}$`);
    if (re.test(key)) return term;
  }
  return undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

type Written = Record<string, unknown> & { key: string };

/** The value type a point as written yields, from the driver's own rules. */
function valueType(driver: string, p: Written): ValueType | 'auto' {
  if (p.enum !== undefined) return 'string';
  if (driver === 'modbus') {
    if (p.bit !== undefined || p.type === 'bool' || p.table === 'coil' || p.table === 'discrete') return 'boolean';
    if (typeof p.address === 'string' && /^[01]/.test(p.address)) return 'boolean';
    return p.type === 'string' ? 'string' : 'number';
  }
  if (driver === 'snmp') {
    if (p.trueValues !== undefined || p.bit !== undefined) return 'boolean';
    if (p.type === 'string' || p.type === 'ipaddress' || p.type === 'oid') return 'string';
    // no type: taken from the varbind, so a number or text
    return p.type === undefined ? 'auto' : 'number';
  }
  return p.type === 'boolean' ? 'boolean' : p.type === 'string' ? 'string' : 'number';
}

/** Profile points and, for SNMP, table points with `{row}` standing for a row (`1`). */
function writtenPoints(entry: CatalogEntry): Written[] {
  const points = entry.profile.points.map((p) => p.input as Written);
  const tables = (entry.profile.header as { tables?: Record<string, { points?: Written[] }> } | undefined)?.tables ?? {};
  for (const table of Object.values(tables)) {
    for (const p of table.points ?? []) points.push({ ...p, key: p.key.replaceAll('{row}', '1') });
  }
  return points.filter((p) => p.disabled !== true);
}

function mismatches(entry: CatalogEntry): string[] {
  const { kind, driver } = headerInfo(entry);
  if (!kind || !vocabulary[kind]) return [`kind ${String(kind)} has no vocabulary`];
  const out: string[] = [];
  for (const p of writtenPoints(entry)) {
    const term = termFor(kind, p.key);
    if (!term) {
      out.push(`${p.key}: not in the ${kind} vocabulary`);
      continue;
    }
    if ((p.unit ?? undefined) !== term.unit) out.push(`${p.key}: unit ${String(p.unit)}, the vocabulary says ${String(term.unit)}`);
    const type = valueType(driver ?? '', p);
    const fits = type === term.type || (type === 'auto' && term.type !== 'boolean');
    if (!fits) out.push(`${p.key}: a ${type} point, the vocabulary says ${term.type}`);
  }
  return out;
}

describe('point vocabulary', () => {
  it('every vocabulary term has a name, a value type and a key of a-z 0-9 _ and {n}', () => {
    for (const [kind, terms] of Object.entries(vocabulary)) {
      for (const [key, term] of Object.entries(terms)) {
        expect(key, `${kind}.${key}`).toMatch(/^[a-z0-9_]*(\{n\}[a-z0-9_]*)*$/);
        expect(term.name, `${kind}.${key}`).toEqual(expect.any(String));
        expect(['number', 'boolean', 'string'], `${kind}.${key}`).toContain(term.type);
        if (term.type !== 'number') expect(term.unit, `${kind}.${key}: only numbers have units`).toBeUndefined();
      }
    }
  });

  it('docs/point-vocabulary.md lists exactly the keys of config/vocabulary.yaml, with their units and types', () => {
    const documented = new Map<string, string>();
    let kind = '';
    for (const line of doc.split('\n')) {
      const heading = /^### `?([a-z]+)`?/.exec(line);
      if (heading) kind = heading[1]!;
      const row = /^\| `([^`]+)` \|([^|]*)\|([^|]*)\|([^|]*)\|/.exec(line);
      if (row && kind) documented.set(`${kind}.${row[1]}`, `${row[3]!.trim()}|${row[4]!.trim()}`);
    }
    const inYaml = new Map<string, string>();
    for (const [k, terms] of Object.entries(vocabulary)) {
      for (const [key, term] of Object.entries(terms)) inYaml.set(`${k}.${key}`, `${term.unit ?? ''}|${term.type}`);
    }
    expect([...documented.keys()].sort()).toEqual([...inYaml.keys()].sort());
    for (const [key, unitAndType] of inYaml) expect(documented.get(key), key).toBe(unitAndType);
  });
});

describe('profile library', () => {
  it('has at least 12 profiles of real equipment (vendor other than Generic)', () => {
    const real = catalog.filter((e) => {
      const vendor = headerInfo(e).vendor;
      return vendor !== undefined && vendor !== 'Generic';
    });
    expect(real.map((e) => e.name).length, `real-model profiles: ${real.map((e) => e.name).join(', ')}`).toBeGreaterThanOrEqual(12);
  });

  describe.each(catalog.map((e) => [e.name, e] as const))('%s', (_name, entry) => {
    it('loads with no problems', () => {
      expect(entry.profile.problems.map(formatProblem)).toEqual([]);
    });

    it('starts with a `# Source:` comment and gives vendor, model and verified', () => {
      expect(entry.source, 'first line: # Source: <document, version/date, table>').toMatch(/.{10,}/);
      const raw = parse(readFileSync(entry.file, 'utf8')) as Record<string, unknown>;
      expect(raw.vendor, 'vendor').toEqual(expect.stringMatching(/\S/));
      expect(raw.model, 'model').toEqual(expect.stringMatching(/\S/));
      expect(typeof raw.verified, 'verified: true | false').toBe('boolean');
      // An unverified map must say why, in its comment.
      if (raw.verified === false) {
        expect(entry.comment.join(' ')).toMatch(/verified: false|not\s+(been\s+)?(verified|checked|confirmed)|not\s+against|could\s+not\s+be\s+(read|checked)/i);
      }
    });

    it('uses only vocabulary keys, with their units and value types', () => {
      expect(writtenPoints(entry).length).toBeGreaterThan(0);
      expect(mismatches(entry)).toEqual([]);
    });
  });
});
