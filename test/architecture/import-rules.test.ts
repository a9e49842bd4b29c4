/**
 * The import direction of DESIGN §2, checked on every run: drivers know protocols and core types
 * only; the web API and sync read store/alarm interfaces; only the entry point wires everything;
 * no cycles.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(new URL(import.meta.url).pathname), '..', '..');
const SOURCE_DIRS = ['core', 'drivers', 'gateway', 'sync', 'dashboard', 'config', 'app'];

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

/**
 * The layers, lowest first. A file may import its own layer's folder and what its rule allows.
 *   core        shared contracts; imports nothing of the project outside itself
 *   drivers     protocols: core and the driver's own folder (registry.ts: every module.ts)
 *   gateway     services (store, sampler, alarms, auth): core
 *   sync        upstream: core, the store's and the control service's interfaces (EMS commands)
 *   dashboard   web page and API: core and the services' interfaces, never drivers
 *   config      the loader: composes the drivers' and services' config schemas
 *   app         CLI, commands and the one wiring file: anything; nothing imports it
 */
const RULES: Array<{ who: RegExp; allowed: RegExp; why: string }> = [
  { who: /^core\//, allowed: /^core\//, why: 'core imports nothing of the project outside itself' },
  { who: /^drivers\/registry\.ts$/, allowed: /^core\/|^drivers\/[^/]+\/module\.ts$/, why: 'the registry lists the driver modules' },
  { who: /^drivers\//, allowed: /^core\/|^drivers\//, why: 'drivers know protocols and core contracts only' },
  { who: /^gateway\//, allowed: /^core\/|^gateway\//, why: 'services know core contracts, never drivers, web, sync or config' },
  {
    who: /^sync\//,
    allowed: /^core\/|^sync\/|^gateway\/(store|control)\/types\.ts$|^gateway\/private-files\.ts$/,
    why: 'sync reads the store and control interfaces (and keeps its own database file private)',
  },
  {
    who: /^dashboard\//,
    allowed: /^core\/|^dashboard\/|^gateway\/catalog\.ts$|^gateway\/(store|alarms|auth|control|incidents|actions|snapshots|analytics)\/types\.ts$|^gateway\/auth\/roles\.ts$|^gateway\/topology\/types\.ts$/,
    why: 'the web API reads the services\' interfaces, never drivers',
  },
  {
    who: /^config\//,
    allowed: /^core\/|^config\/|^drivers\/registry\.ts$|^drivers\/[^/]+\/(point|config-schema)\.ts$|^gateway\/alarms\/(types|config-schema)\.ts$|^gateway\/snapshots\/(types|config-schema)\.ts$|^gateway\/incidents\/(types|config-schema)\.ts$|^gateway\/topology\/(types|config-schema)\.ts$|^gateway\/control\/types\.ts$|^gateway\/actions\/(types|config-schema)\.ts$|^gateway\/analytics\/(types|config-schema|specs)\.ts$|^sync\/config-schema\.ts$/,
    why: 'config composes the drivers\' and services\' schemas and nothing else',
  },
  { who: /^app\//, allowed: /./, why: 'the app wires everything' },
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
        const driver = /^drivers\/([^/]+)\//.exec(file)?.[1];
        if (driver && dep.startsWith('drivers/') && !dep.startsWith(`drivers/${driver}/`)) {
          violations.push(`${file} → ${dep} (a driver uses only its own folder)`);
        } else if (!rule.allowed.test(dep)) {
          violations.push(`${file} → ${dep} (${rule.why})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('nothing outside the app imports it', () => {
    const offenders = [...graph].filter(([f, deps]) => !f.startsWith('app/') && deps.some((d) => d.startsWith('app/'))).map(([f]) => f);
    expect(offenders).toEqual([]);
  });

  it('every driver folder is one module, listed once in the registry', () => {
    const folders = readdirSync(join(ROOT, 'drivers')).filter((n) => statSync(join(ROOT, 'drivers', n)).isDirectory());
    const listed = (graph.get('drivers/registry.ts') ?? []).filter((d) => d.startsWith('drivers/')).map((d) => d.split('/')[1]);
    expect(folders.filter((f) => !files.includes(`drivers/${f}/module.ts`))).toEqual([]);
    expect(listed.sort()).toEqual(folders.sort());
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
