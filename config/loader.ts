/**
 * Loads a site config: YAML → shape checks (zod) → profiles merged → cross-field checks →
 * SiteConfig. Every problem is collected (never stopping at the first) and located as
 * `file:line path`, so `gateway check` can list them all at once.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from '../core/errors.js';
import {
  createProfileLibrary,
  defaultProfilesDirs,
  dropDuplicateKeys,
  type LoadedProfile,
  mergePoints,
  parsePointList,
  type ProfileLibrary,
} from './profiles.js';
import { checkAlarms, parseAlarmList } from './alarm-list.js';
import { checkTopology } from './topology-list.js';
import { checkActions, parseEachAction } from '../gateway/actions/config-schema.js';
import { expandAnalytics } from '../gateway/analytics/specs.js';
import { DRIVERS, type DriverName, driverPlugins, isDriverName } from './drivers.js';
import { describe, deviceSchemaFor, isProfileName, parseAt, siteSchema } from './schema.js';
import { mergeStorePolicies, type StorePolicy } from './store-policy.js';
import type { CommonDeviceFields } from '../core/driver-config.js';
import type { DeviceConfig, SiteConfig } from './types.js';
import type { DeviceKind } from '../core/device.js';
import { parseYamlSource, type YamlSource } from './yaml-source.js';

export interface ParseOptions {
  /** folders searched for profiles, in order (default: `profiles/` beside the file, then the built-in ones) */
  profilesDirs?: string[];
}

export interface CheckResult {
  /** present only when there are no problems */
  config?: SiteConfig;
  problems: ConfigProblem[];
}

/** Loads and checks a site config file; throws ConfigError listing every problem. */
export function loadSiteConfig(file: string): SiteConfig {
  const { config, problems } = checkSiteConfig(file);
  if (!config) throw new ConfigError(problems);
  return config;
}

/** Like loadSiteConfig, but returns the problems instead of throwing (for `gateway check`). */
export function checkSiteConfig(file: string): CheckResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    return { problems: [{ file, line: 0, path: '', message: `cannot read the file (${why})` }] };
  }
  return parseSiteConfig(text, file);
}

/** Checks config text as if read from `file` (relative paths in it are taken from that file's folder). */
export function parseSiteConfig(text: string, file: string, opts: ParseOptions = {}): CheckResult {
  const src = parseYamlSource(text, file);
  if (src.syntaxProblems.length > 0) return { problems: src.syntaxProblems };
  if (src.value === undefined || src.value === null) {
    return { problems: [{ file, line: 0, path: '', message: 'the file is empty' }] };
  }
  const top = parseAt(siteSchema, src.value, src, []);
  const problems = [...top.problems];
  const library = createProfileLibrary(opts.profilesDirs ?? defaultProfilesDirs(file));
  const rawDevices = (src.value as { devices?: unknown }).devices;
  const storePolicies: Record<string, StorePolicy> = {};
  const profileStore = top.data?.storage.byException ?? false;
  const devices = checkDevices(Array.isArray(rawDevices) ? rawDevices : [], src, library, problems, { policies: storePolicies, fromProfiles: profileStore });
  const alarms = checkAlarms(
    parseAlarmList((src.value as { alarms?: unknown }).alarms, src, ['alarms'], problems),
    devices.map((d) => {
      const lookup = d.profile ? library.get(d.profile) : undefined;
      return { id: d.id, points: d.points, profileRules: lookup && 'found' in lookup ? (lookup.found.alarms ?? []) : [] };
    }),
    problems,
  );
  // A device with problems of its own is still a device the topology may name.
  const written = (Array.isArray(rawDevices) ? rawDevices : []).flatMap((d) => (typeof d?.id === 'string' ? [{ id: d.id as string, name: d.id as string }] : []));
  const topology = checkTopology((src.value as { topology?: unknown }).topology, [...devices, ...written.filter((w) => !devices.some((d) => d.id === w.id))], src, problems);
  const rawRunDir = top.data ? top.data.actionsRunDir : (src.value as { actionsRunDir?: unknown }).actionsRunDir;
  const actionsRunDir = typeof rawRunDir === 'string' && rawRunDir !== '' ? resolve(dirname(file), rawRunDir) : undefined;
  const actionPoints = new Map(devices.flatMap((d) => d.points.map((p) => [p.id, { writable: (p as { write?: unknown }).write !== undefined }] as const)));
  const actionRules = top.data?.actions ?? parseEachAction((src.value as { actions?: unknown }).actions);
  for (const p of checkActions(actionRules, { runDir: actionsRunDir, points: actionPoints })) problems.push(src.problem(p.path, p.message));
  const profileAnalytics = devices.flatMap((d) => {
    const lookup = d.profile ? library.get(d.profile) : undefined;
    const entries = lookup && 'found' in lookup ? (lookup.found.analytics ?? []) : [];
    return entries.length > 0 ? [{ id: d.id, points: d.points, entries }] : [];
  });
  const analytics = expandAnalytics(top.data?.analytics ?? [], devices.flatMap((d) => d.points.map((p) => p.id)), profileAnalytics);
  for (const p of analytics.problems) problems.push(src.problem(p.path, p.message));

  const unique = dedupe(problems);
  if (unique.length > 0 || !top.data) return { problems: sortProblems(unique, file) };
  const { gateway, http, storage, clock, control, sync, auth, mqttBroker, snmpTraps } = top.data;
  const here = (path: string) => resolve(dirname(file), path);
  return {
    problems: [],
    config: {
      file,
      gateway: { ...gateway, dataDir: resolve(dirname(file), gateway.dataDir) },
      http: http.tls ? { ...http, tls: { cert: here(http.tls.cert), key: here(http.tls.key) } } : http,
      auth,
      storage,
      clock,
      control,
      sync,
      devices,
      alarms,
      alarmSettings: top.data.alarmSettings,
      snapshots: top.data.snapshots,
      incidents: top.data.incidents,
      analytics: analytics.specs,
      correlation: top.data.correlation,
      actions: { rules: top.data.actions, ...(actionsRunDir && { runDir: actionsRunDir }) },
      ...(mqttBroker && { mqttBroker: mqttBroker.tls ? { ...mqttBroker, tls: { ...mqttBroker.tls, cert: here(mqttBroker.tls.cert), key: here(mqttBroker.tls.key) } } : mqttBroker }),
      ...(snmpTraps && { snmpTraps }),
      ...(Object.keys(storePolicies).length > 0 && { storePolicies }),
      ...(top.data.configSource && { configSource: top.data.configSource }),
      ...(topology && { topology }),
    },
  };
}

/**
 * Report-by-exception policies by point id are collected into `store.policies`: a site point's own
 * `store:` always, a profile's only with `storage.byException` (`store.fromProfiles`).
 */
interface StoreCollect {
  policies: Record<string, StorePolicy>;
  fromProfiles: boolean;
}

function checkDevices(raw: unknown[], src: YamlSource, library: ProfileLibrary, problems: ConfigProblem[], storePolicies: StoreCollect): DeviceConfig[] {
  const devices: DeviceConfig[] = [];
  const ids = new Map<string, number>();
  const reportedProfiles = new Set<string>();
  raw.forEach((item, i) => {
    const path = ['devices', i];
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      problems.push(src.problem(path, `expected a mapping, got ${describe(item)}`));
      return;
    }
    const dev = item as Record<string, unknown>;
    if (typeof dev.id === 'string') {
      const first = ids.get(dev.id);
      if (first !== undefined) problems.push(src.problem([...path, 'id'], `duplicate id "${dev.id}" (also devices[${first}])`));
      else ids.set(dev.id, i);
    }
    if (!isDriverName(dev.driver)) {
      const message = dev.driver === undefined ? 'required' : `expected one of ${DRIVERS.join(', ')}, got ${describe(dev.driver)}`;
      problems.push(src.problem([...path, 'driver'], message));
      return;
    }
    const device = checkDevice(dev.driver, dev, i, src, library, reportedProfiles, problems, storePolicies);
    if (device) devices.push(device);
  });
  return devices;
}

function checkDevice(
  driver: DriverName,
  dev: Record<string, unknown>,
  i: number,
  src: YamlSource,
  library: ProfileLibrary,
  reportedProfiles: Set<string>,
  problems: ConfigProblem[],
  storePolicies: StoreCollect,
): DeviceConfig | undefined {
  const plugin = driverPlugins[driver];
  const path = ['devices', i];
  const shape = parseAt(deviceSchemaFor(driver), dev, src, path);
  problems.push(...shape.problems);

  let profile: LoadedProfile | undefined;
  if (typeof dev.profile === 'string' && isProfileName(dev.profile)) {
    const lookup = library.get(dev.profile);
    if ('missing' in lookup) problems.push(src.problem([...path, 'profile'], lookup.missing));
    else profile = lookup.found;
  }
  if (profile && profile.problems.length > 0 && !reportedProfiles.has(profile.file)) {
    // A shared profile's problems are listed once, under its own file; say here who uses it.
    reportedProfiles.add(profile.file);
    const n = profile.problems.length;
    problems.push(src.problem([...path, 'profile'], `profile "${profile.name}" has ${n} problem${n === 1 ? '' : 's'} (in ${profile.file})`));
    problems.push(...profile.problems);
  }
  const header = profile?.header;
  if (header && header.driver !== driver) {
    problems.push(src.problem([...path, 'profile'], `profile "${profile!.name}" is for driver ${header.driver}, not ${driver}`));
    profile = undefined;
  }

  const ownPoints = dropDuplicateKeys(parsePointList(dev.points, plugin.pointSchema, src, [...path, 'points'], problems), problems);
  const merged = mergePoints(profile?.points ?? [], ownPoints);
  // Only say "no points" when no other problem already explains it.
  const explained =
    (dev.points != null && !Array.isArray(dev.points)) ||
    (Array.isArray(dev.points) && dev.points.length > ownPoints.length) ||
    (dev.profile !== undefined && !profile);

  const d = shape.data as (Record<string, unknown> & { id: string; name?: string; kind?: DeviceKind; location?: string; pollIntervalMs: number; profile?: string }) | undefined;
  const common: CommonDeviceFields = {
    id: d?.id ?? (typeof dev.id === 'string' ? dev.id : `devices[${i}]`),
    name: d?.name ?? d?.id ?? '',
    kind: d?.kind ?? profile?.header?.kind ?? 'other',
    pollIntervalMs: d?.pollIntervalMs ?? 1000,
  };
  if (d?.location !== undefined) common.location = d.location;
  if (d?.profile !== undefined) common.profile = d.profile;
  if (typeof profile?.header?.vendor === 'string') common.vendor = profile.header.vendor;
  if (typeof profile?.header?.model === 'string') common.model = profile.header.model;
  const built = plugin.build({
    common,
    fields: d,
    profile: profile?.header,
    points: merged,
    at: (field) => src.problem([...path, field], ''),
    disabledKeys: ownPoints.filter((p) => p.input.disabled).map((p) => p.input.key),
  });
  problems.push(...built.problems.map((p) => ({ ...p.where, message: p.message })));
  // a driver may make points of its own (SNMP tables): judge by what build() returned
  const noPoints = merged.length === 0 && (built.device?.points.length ?? 0) === 0;
  const policies = mergeStorePolicies(storePolicies.fromProfiles ? (profile?.points ?? []) : [], ownPoints);
  if (policies.size > 0 && d && built.device) {
    for (const p of built.device.points) {
      const policy = policies.get(p.key);
      if (policy) storePolicies.policies[p.id] = policy;
    }
  }
  if (noPoints && !explained) problems.push(src.problem(path, 'has no points (give it a profile or points)'));
  return d ? built.device : undefined;
}

function dedupe(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.file}\0${p.line}\0${p.path}\0${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The site file's problems by line, then each profile's (in the order first met), by line. */
function sortProblems(problems: readonly ConfigProblem[], siteFile: string): ConfigProblem[] {
  const fileOrder = new Map<string, number>([[siteFile, 0]]);
  for (const p of problems) if (!fileOrder.has(p.file)) fileOrder.set(p.file, fileOrder.size);
  return [...problems].sort((a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || a.line - b.line);
}
