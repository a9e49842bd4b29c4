/**
 * What changed between the running site config and a newly loaded one, section by section: the
 * lists by id (devices, alarms, incidents, actions, analytics, sync targets, broker users) and
 * the settings by path. A live reload applies only this, so an unchanged device keeps polling
 * and an unchanged alarm keeps its state. Settings the gateway reads once at start (listener,
 * data folder, ...) are named in `restartRequired` instead.
 */
import { createHash } from 'node:crypto';
import { Secret } from '../../core/secret.js';
import type { SiteConfig } from '../types.js';

/** One keyed list: what was added, removed, and which fields of a kept entry changed. */
export interface ListChange {
  added: string[];
  removed: string[];
  changed: Array<{ id: string; fields: string[] }>;
}

export const LIST_NAMES = ['devices', 'alarms', 'incidents', 'actions', 'analytics', 'syncTargets', 'brokerUsers'] as const;
export type ListName = (typeof LIST_NAMES)[number];

export interface ConfigDiff {
  lists: Record<ListName, ListChange>;
  /** changed settings a running gateway can take (`http.maxBodyKB`, `alarmSettings.notify`, ...) */
  settings: string[];
  /** changed settings only a restart applies (`http.port`, `gateway.dataDir`, ...) */
  restartRequired: string[];
}

/**
 * Read once at start: the listener, the data folder and its databases' open options, the
 * gateway's name upstream (cursors and event ids carry it), and the embedded listeners.
 * A section named here covers all of its keys.
 */
export const RESTART_SETTINGS: readonly string[] = [
  'gateway.id',
  'gateway.dataDir',
  'http.host',
  'http.port',
  'http.tls',
  'storage.synchronous',
  'mqttBroker.enabled',
  'mqttBroker.host',
  'mqttBroker.port',
  'mqttBroker.tls',
  'snmpTraps',
  // The notifier opens a queue and a connection per target when it starts.
  'alarmSettings.notify',
  // The snapshot service reads its settings (severities, minutes, keepDays) once.
  'snapshots',
  // The embedded broker's limits are set on its listeners when it starts (its users change live).
  'mqttBroker.maxConnections',
  'mqttBroker.maxConnectionsPerAddress',
  'mqttBroker.maxClientIdLength',
  'mqttBroker.maxConnectBytes',
  'mqttBroker.maxPacketBytes',
  'mqttBroker.loginBackoff',
  'mqttBroker.clientRateLimit',
  // `run` steps' allow-listed folder: the runner is made with it at start.
  'actionsRunDir',
];

/** The sections compared key by key (their lists, above, apart). */
const SETTING_SECTIONS = [
  'gateway',
  'http',
  'auth',
  'storage',
  'clock',
  'control',
  'sync',
  'alarmSettings',
  'snapshots',
  'correlation',
  'mqttBroker',
  'snmpTraps',
  'configSource',
] as const;

/** Keys of a section that are compared as lists by id, not as settings. */
const LISTED_KEYS: Partial<Record<(typeof SETTING_SECTIONS)[number], string[]>> = { sync: ['targets'], mqttBroker: ['users'] };

export function diffSiteConfigs(before: SiteConfig, after: SiteConfig): ConfigDiff {
  const lists: Record<ListName, ListChange> = {
    devices: diffList(before.devices, after.devices, (d) => d.id),
    alarms: diffList(before.alarms, after.alarms, (a) => a.id),
    incidents: diffList(before.incidents ?? [], after.incidents ?? [], (r) => r.id),
    actions: diffList(before.actions?.rules ?? [], after.actions?.rules ?? [], (r) => r.id),
    analytics: diffList(before.analytics ?? [], after.analytics ?? [], (s) => s.point),
    syncTargets: diffList(before.sync.targets, after.sync.targets, (t) => t.id),
    brokerUsers: diffList(before.mqttBroker?.users ?? [], after.mqttBroker?.users ?? [], (u) => u.username),
  };
  const changedPaths: string[] = [];
  for (const section of SETTING_SECTIONS) {
    changedPaths.push(...diffSection(section, before[section], after[section], LISTED_KEYS[section] ?? []));
  }
  if (canonical(before.actions?.runDir) !== canonical(after.actions?.runDir)) changedPaths.push('actionsRunDir');
  if (canonical(writtenTopology(before)) !== canonical(writtenTopology(after))) changedPaths.push('topology');
  // the points' `store:` policies (report-by-exception), gathered from devices and profiles
  if (canonical(before.storePolicies) !== canonical(after.storePolicies)) changedPaths.push('storePolicies');
  const needsRestart = (path: string) => RESTART_SETTINGS.some((r) => path === r || path.startsWith(`${r}.`));
  return {
    lists,
    settings: changedPaths.filter((p) => !needsRestart(p)),
    restartRequired: changedPaths.filter(needsRestart),
  };
}

export function isEmptyDiff(diff: ConfigDiff): boolean {
  return diff.settings.length === 0 && diff.restartRequired.length === 0 && LIST_NAMES.every((n) => isEmptyList(diff.lists[n]));
}

export function isEmptyList(change: ListChange): boolean {
  return change.added.length === 0 && change.removed.length === 0 && change.changed.length === 0;
}

/** One line per change, for logs and the CLI: `devices: + crac3, ~ ups1 (connection, points)`. */
export function describeDiff(diff: ConfigDiff): string[] {
  const lines: string[] = [];
  for (const name of LIST_NAMES) {
    const c = diff.lists[name];
    if (isEmptyList(c)) continue;
    const parts = [
      ...c.added.map((id) => `+ ${id}`),
      ...c.removed.map((id) => `- ${id}`),
      ...c.changed.map((ch) => `~ ${ch.id} (${ch.fields.join(', ')})`),
    ];
    lines.push(`${name}: ${parts.join(', ')}`);
  }
  if (diff.settings.length > 0) lines.push(`settings: ${diff.settings.join(', ')}`);
  if (diff.restartRequired.length > 0) lines.push(`needs a restart: ${diff.restartRequired.join(', ')}`);
  return lines;
}

/**
 * The topology as the file writes it: every device is a node, but one with no links is only
 * there because the device is (an added device is a device change, not a topology change).
 */
function writtenTopology(config: SiteConfig): unknown {
  const nodes = config.topology ? [...config.topology.nodes.values()] : [];
  const bare = (n: (typeof nodes)[number]) => n.kind === 'device' && n.fedBy.length === 0 && n.cools.length === 0 && n.contains.length === 0;
  return nodes.filter((n) => !bare(n));
}

function diffList<T extends object>(before: readonly T[], after: readonly T[], idOf: (item: T) => string): ListChange {
  const old = new Map(before.map((item) => [idOf(item), item]));
  const now = new Map(after.map((item) => [idOf(item), item]));
  const change: ListChange = { added: [], removed: [], changed: [] };
  for (const [id, item] of now) {
    const was = old.get(id);
    if (!was) {
      change.added.push(id);
      continue;
    }
    const fields = changedKeys(was as Record<string, unknown>, item as Record<string, unknown>);
    if (fields.length > 0) change.changed.push({ id, fields });
  }
  for (const id of old.keys()) if (!now.has(id)) change.removed.push(id);
  return change;
}

function diffSection(section: string, before: unknown, after: unknown, listed: readonly string[]): string[] {
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isRecord(before) || !isRecord(after)) return canonical(before) === canonical(after) ? [] : [section];
  return changedKeys(before, after)
    .filter((k) => !listed.includes(k))
    .map((k) => `${section}.${k}`);
}

function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.filter((k) => canonical(before[k]) !== canonical(after[k]));
}

/**
 * JSON with sorted keys, for comparison only. A Secret prints as `[secret]`, so a changed password
 * would compare equal: it is compared by a digest of its value instead, and this text is never
 * shown anywhere.
 */
export function canonical(value: unknown): string {
  return JSON.stringify(value === undefined ? null : normalise(value));
}

function normalise(value: unknown): unknown {
  if (value instanceof Secret) return { secretDigest: createHash('sha256').update(value.reveal()).digest('hex') };
  if (Array.isArray(value)) return value.map(normalise);
  if (value instanceof RegExp) return String(value);
  // the topology keeps its nodes in a Map, which JSON would print as {}
  if (value instanceof Map) return [...value.entries()].map(([k, v]) => [normalise(k), normalise(v)]);
  if (value instanceof Set) return [...value].map(normalise);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = normalise(v);
    }
    return out;
  }
  return value;
}
