/**
 * Device profiles: one YAML register map per equipment model. A profile is looked up by name in
 * each profiles folder in turn (the site's own `profiles/` first, then the built-in library), is
 * parsed and checked once per load however many devices use it, and its points are merged with a
 * device's own points key by key.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import type { ConfigProblem } from '../core/errors.js';
import { parseAlarmList, type WrittenAlarm } from './alarm-list.js';
import { parseProfileAnalytics } from './profile-analytics.js';
import type { ProfileAnalyticsEntry } from '../gateway/analytics/config-schema.js';
import type { PointInputBase, PointSource } from '../core/driver-config.js';
import { DRIVERS, driverPlugins, isDriverName } from './drivers.js';
import { describe, type ProfileHeader, parseAt, profileSchemaFor } from './schema.js';
import { takeStorePolicy, type WrittenStore } from './store-policy.js';
import { type PathSegment, parseYamlSource, type YamlSource } from './yaml-source.js';

/** A point as written in one file, with where it was written. */
export interface WrittenPoint {
  input: PointInputBase;
  src: YamlSource;
  path: PathSegment[];
  /** its `store:` (report-by-exception), taken off before the driver's schema (store-policy.ts) */
  store?: WrittenStore;
}

export interface LoadedProfile {
  name: string;
  /** path of the profile file (relative when its folder was given relative) */
  file: string;
  /** undefined when the file's top level is broken */
  header?: ProfileHeader;
  points: WrittenPoint[];
  /** its alarm rules as written (point keys relative to the device) */
  alarms?: WrittenAlarm[];
  /** its default analytics (point keys relative to the device), the good entries */
  analytics?: ProfileAnalyticsEntry[];
  /** problems inside the profile file, each reported once per load */
  problems: ConfigProblem[];
}

export type ProfileLookup = { found: LoadedProfile } | { missing: string };

export interface ProfileLibrary {
  get(name: string): ProfileLookup;
}

const PROFILE_EXTENSIONS = ['.yaml', '.yml'];

/**
 * The package's own `config/profiles/`. Found from this module's location by walking up to the
 * folder holding package.json, so it works from the TypeScript sources and from `dist/config/`.
 */
export function builtinProfilesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the package root (package.json) above the config loader');
    dir = up;
  }
  return join(dir, 'config', 'profiles');
}

/** The folders searched for `profile: X` of a site file: its own `profiles/`, then the built-in ones. */
export function defaultProfilesDirs(siteFile: string): string[] {
  return [join(dirname(siteFile), 'profiles'), builtinProfilesDir()];
}

export function createProfileLibrary(dirs: readonly string[]): ProfileLibrary {
  const cache = new Map<string, ProfileLookup>();
  return {
    get(name) {
      let lookup = cache.get(name);
      if (!lookup) {
        const file = findProfileFile(name, dirs);
        lookup = file ? { found: loadProfileFile(name, file) } : { missing: missingMessage(name, dirs) };
        cache.set(name, lookup);
      }
      return lookup;
    },
  };
}

function findProfileFile(name: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    for (const ext of PROFILE_EXTENSIONS) {
      const file = join(dir, name + ext);
      if (existsSync(file)) return file;
    }
  }
  return undefined;
}

function missingMessage(name: string, dirs: readonly string[]): string {
  const available = new Set<string>();
  for (const dir of dirs) {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch {
      // a site without its own profiles/ folder is normal
    }
    for (const entry of entries) {
      const ext = PROFILE_EXTENSIONS.find((e) => entry.endsWith(e));
      if (ext) available.add(entry.slice(0, -ext.length));
    }
  }
  const list = [...available].sort().join(', ') || 'none';
  return `unknown profile "${name}" (looked in ${dirs.join(', ')}; available: ${list})`;
}

/** Reads, parses and checks one profile file on its own. */
export function loadProfileFile(name: string, file: string): LoadedProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    return { name, file, points: [], problems: [{ file, line: 0, path: '', message: `cannot read (${why})` }] };
  }
  const src = parseYamlSource(text, file);
  if (src.syntaxProblems.length > 0) return { name, file, points: [], problems: src.syntaxProblems };

  const raw = src.value as { driver?: unknown; points?: unknown } | null;
  const driver = raw?.driver;
  if (!isDriverName(driver)) {
    const message = driver === undefined ? 'required' : `expected one of ${DRIVERS.join(', ')}, got ${describe(driver)}`;
    return { name, file, points: [], problems: [src.problem(['driver'], message)] };
  }
  const plugin = driverPlugins[driver];
  const top = parseAt(profileSchemaFor(driver), src.value, src, []);
  const problems = [...top.problems];
  const written = parsePointList(raw?.points, plugin.pointSchema, src, ['points'], problems);
  const points = dropDuplicateKeys(written, problems);

  // The profile's points are checked on their own, so their problems point into this file.
  const checked = plugin.build({
    common: { id: name, name, kind: top.data?.kind ?? 'other', pollIntervalMs: 1000 },
    profile: top.data,
    points: points.map((p) => writtenSource(p, 'profile')),
    at: (field) => src.problem([field], ''),
  });
  problems.push(...checked.problems.map((p) => ({ ...p.where, message: p.message })));
  const alarms = parseAlarmList((raw as { alarms?: unknown } | null)?.alarms, src, ['alarms'], problems);
  const analytics = parseProfileAnalytics((raw as { analytics?: unknown } | null)?.analytics, points.map((w) => w.input.key), src, problems);
  return { name, file, header: top.data as ProfileHeader | undefined, points, alarms, analytics, problems };
}

/** Checks each list item with the point schema on its own, keeping the good ones. */
export function parsePointList(
  raw: unknown,
  schema: z.ZodType<PointInputBase>,
  src: YamlSource,
  path: PathSegment[],
  problems: ConfigProblem[],
): WrittenPoint[] {
  if (!Array.isArray(raw)) return [];
  const out: WrittenPoint[] = [];
  raw.forEach((written, i) => {
    const { item, store } = takeStorePolicy(written, src, [...path, i], problems);
    const parsed = parseAt(schema, item, src, [...path, i]);
    problems.push(...parsed.problems);
    if (parsed.data) out.push({ input: parsed.data, src, path: [...path, i], ...(store !== undefined && { store }) });
  });
  return out;
}

/** The second point with a key already used is a problem, and is left out. */
export function dropDuplicateKeys(points: readonly WrittenPoint[], problems: ConfigProblem[]): WrittenPoint[] {
  const seen = new Map<string, WrittenPoint>();
  for (const p of points) {
    const first = seen.get(p.input.key);
    if (first) {
      const at = first.path.at(-1);
      problems.push(p.src.problem([...p.path, 'key'], `duplicate key "${p.input.key}" (also points[${String(at)}])`));
    } else seen.set(p.input.key, p);
  }
  return [...seen.values()];
}

/** A located problem: a ConfigProblem whose message is filled in by the checker. */
export type Where = Omit<ConfigProblem, 'message'>;

export function writtenSource(p: WrittenPoint, origin: 'profile' | 'device'): PointSource<Where> {
  return {
    input: p.input,
    origin,
    where: (field, key) => {
      const path = [...p.path, ...(field ? [field] : []), ...(key !== undefined ? [key] : [])];
      return p.src.problem(path, '', key !== undefined ? 'key' : 'value');
    },
  };
}

/**
 * A device's points over its profile's: a device point with a profile point's key is merged over
 * it field by field (problems then point at the device), `disabled: true` removes it, and any
 * other device point is added after the profile's.
 */
export function mergePoints(profilePoints: readonly WrittenPoint[], devicePoints: readonly WrittenPoint[]): PointSource<Where>[] {
  const overrides = new Map(devicePoints.map((p) => [p.input.key, p]));
  const merged: PointSource<Where>[] = [];
  for (const base of profilePoints) {
    const over = overrides.get(base.input.key);
    if (!over) {
      if (!base.input.disabled) merged.push(writtenSource(base, 'profile'));
      continue;
    }
    overrides.delete(base.input.key);
    const input = { ...base.input, ...over.input };
    if (!input.disabled) merged.push(writtenSource({ ...over, input }, 'device'));
  }
  for (const added of overrides.values()) {
    if (!added.input.disabled) merged.push(writtenSource(added, 'device'));
  }
  return merged;
}
