/**
 * The import direction of DESIGN §2, checked on every run: drivers know protocols and core types
 * only; the web API and sync read store/alarm interfaces; only the entry point wires everything;
 * no cycles.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(new URL(import.meta.url).pathname), '..', '..');
const SOURCE_DIRS = ['gateway', 'drivers', 'sync', 'dashboard', 'config'];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Relative imports of a file, as repository paths of .ts files. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]!;
    if (!spec.startsWith('.')) continue;
    out.push(normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts'));
  }
  return out;
}

const files = SOURCE_DIRS.flatMap(sourceFiles);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

const ENTRY = /^gateway\/(cli|start-gateway)\.ts$|^gateway\/commands\//;
const CORE_TYPES = /^gateway\/(types|driver|errors|logger|log-rate-limit|backoff|clock|redact-url)\.ts$|^config\/(types|secret|driver-plugin)\.ts$/;

/** [who, may import what] — a file must satisfy the first rule whose `who` matches it. */
const RULES: Array<{ who: RegExp; allowed: RegExp; why: string }> = [
  { who: ENTRY, allowed: /./, why: 'the entry point wires everything' },
  {
    who: /^drivers\/([^/]+)\//,
    allowed: new RegExp(`${CORE_TYPES.source}|^drivers\\/`),
    why: 'drivers know protocols and core types only',
  },
  {
    who: /^dashboard\//,
    allowed: /^dashboard\/|^gateway\/(types|errors|logger|redact-url|catalog|device-status|self-health)\.ts$|^gateway\/(store|alarms)\/types\.ts$|^gateway\/auth\/(types|roles)\.ts$|^config\/types\.ts$/,
    why: 'the web API reads store and status interfaces, never drivers',
  },
  {
    who: /^sync\//,
    allowed: /^sync\/|^gateway\/(types|errors|logger|redact-url|backoff|clock)\.ts$|^gateway\/store\/types\.ts$|^config\/(types|secret)\.ts$/,
    why: 'sync reads the store interface',
  },
  {
    who: /^config\//,
    allowed: /^config\/|^drivers\/[^/]+\/(point|config-schema)\.ts$|^sync\/config-schema\.ts$|^gateway\/(errors|types|alarms\/types)\.ts$/,
    why: 'config composes the drivers\' and sync\'s schemas and nothing else',
  },
  {
    who: /^gateway\//,
    allowed: /^gateway\/|^config\/types\.ts$/,
    why: 'the core does not know drivers, web or sync',
  },
];

describe('import rules', () => {
  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('every import follows the direction of the architecture', () => {
    const violations: string[] = [];
    for (const [file, deps] of graph) {
      const rule = RULES.find((r) => r.who.test(file));
      if (!rule) continue;
      for (const dep of deps) {
        const sameDriver = file.startsWith('drivers/') && dep.split('/')[1] === file.split('/')[1];
        if (file.startsWith('drivers/') && dep.startsWith('drivers/') && !sameDriver && !/\/(point|codec)\.ts$/.test(dep)) {
          violations.push(`${file} → ${dep} (a driver uses only its own folder)`);
        } else if (!rule.allowed.test(dep)) {
          violations.push(`${file} → ${dep} (${rule.why})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('nothing imports the entry point', () => {
    const offenders = [...graph].filter(([f, deps]) => !ENTRY.test(f) && deps.some((d) => ENTRY.test(d))).map(([f]) => f);
    expect(offenders).toEqual([]);
  });

  it('has no import cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, stack: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...stack.slice(stack.indexOf(file)), file].map((f) => relative('.', f)).join(' → '));
        return;
      }
      state.set(file, 'visiting');
      for (const dep of graph.get(file) ?? []) visit(dep, [...stack, file]);
      state.set(file, 'done');
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });
});
