/**
 * The overview's data: devices grouped by kind and location with a status colour, active alarms
 * by severity, the key figures. Built from in-memory views only (catalog, latest values, sampler
 * status, alarm list), so it stays fast with ten thousand points.
 */
import type { AlarmRecord, Severity } from '../gateway/alarms/types.js';
import type { DeviceInfo } from '../gateway/catalog.js';
import type { DeviceStatus } from '../core/device-status.js';
import type { DashboardDeps } from './deps.js';
import { aggregate, type Figure, siteFigures, tilePoints } from './key-points.js';

export type DeviceHealth = 'ok' | 'alarm' | 'comm-down' | 'unknown';

export interface DeviceTile {
  device: DeviceInfo;
  status: DeviceStatus | undefined;
  health: DeviceHealth;
  /** most severe active alarm of the device */
  alarmSeverity: Severity | null;
  points: string[];
  /** the nearest forecast limit crossing of the device's analysed points (issue 16), or null */
  forecast: ForecastBadge | null;
}

/** "forecast: HI in 12 min" on a tile: the analysed point whose forecast crosses a limit first. */
export interface ForecastBadge {
  point: string;
  level: 'hihi' | 'hi' | 'lo' | 'lolo';
  limit: number;
  at: number;
}

export interface DeviceGroup {
  kind: DeviceInfo['kind'];
  locations: Array<{ location: string | null; tiles: DeviceTile[] }>;
}

export interface OverviewModel {
  groups: DeviceGroup[];
  figures: Array<Figure & { value: number | null }>;
  /** null when the gateway runs no alarms */
  /**
   * Counts and top list are of causes: an alarm grouped as a symptom of another (incidents'
   * topology correlation) is left out and counted in `symptoms`. `incidents`: raised incidents
   * (null when the gateway runs none).
   */
  alarms: { counts: Record<Severity, number>; top: AlarmRecord[]; total: number; symptoms: number; incidents: number | null } | null;
  healthCounts: Record<DeviceHealth, number>;
  /** every point the page shows (what its live stream subscribes to) */
  livePoints: string[];
}

export const SEVERITY_ORDER: readonly Severity[] = ['critical', 'major', 'minor', 'warning'];
const KIND_ORDER = ['ups', 'hvac', 'pdu', 'sensor', 'meter', 'other'];
/** States in which an alarm still wants attention on the overview. */
const ATTENTION = new Set(['unack', 'acked', 'rtn-unack', 'latched']);

export function severityRank(s: Severity): number {
  return SEVERITY_ORDER.indexOf(s);
}

/** Severity first, then the newest first: the console's and the overview's order. */
export function compareAlarms(a: AlarmRecord, b: AlarmRecord): number {
  return severityRank(a.severity) - severityRank(b.severity) || (b.raisedAt ?? 0) - (a.raisedAt ?? 0);
}

export function deviceOfAlarm(a: Pick<AlarmRecord, 'device' | 'point'>): string | null {
  if (a.device) return a.device;
  if (!a.point) return null;
  const dot = a.point.indexOf('.');
  return dot > 0 ? a.point.slice(0, dot) : null;
}

export function activeAlarms(deps: Pick<DashboardDeps, 'alarms'>): AlarmRecord[] | null {
  if (!deps.alarms) return null;
  return deps.alarms.list('active').filter((a) => ATTENTION.has(a.state));
}

/** Per device, the earliest forecast crossing among its analysed points. */
export function forecastBadges(deps: Pick<DashboardDeps, 'analytics' | 'catalog'>): Map<string, ForecastBadge> {
  const badges = new Map<string, ForecastBadge>();
  for (const s of deps.analytics?.status() ?? []) {
    const device = deps.catalog.point(s.point)?.deviceId ?? deviceOfAlarm({ device: null, point: s.point });
    if (!device || !s.nextCrossing) continue;
    const known = badges.get(device);
    if (!known || s.nextCrossing.at < known.at) badges.set(device, { point: s.point, ...s.nextCrossing });
  }
  return badges;
}

export function buildOverview(deps: DashboardDeps): OverviewModel {
  const { catalog } = deps;
  const statuses = new Map(deps.deviceStatus().map((s) => [s.deviceId, s]));
  const active = activeAlarms(deps);
  const worst = new Map<string, Severity>();
  for (const a of active ?? []) {
    const device = deviceOfAlarm(a);
    if (!device || !a.active) continue;
    const known = worst.get(device);
    if (!known || severityRank(a.severity) < severityRank(known)) worst.set(device, a.severity);
  }

  const forecasts = forecastBadges(deps);
  const healthCounts: Record<DeviceHealth, number> = { ok: 0, alarm: 0, 'comm-down': 0, unknown: 0 };
  const byKind = new Map<string, Map<string | null, DeviceTile[]>>();
  const livePoints = new Set<string>();
  for (const device of catalog.devices) {
    const status = statuses.get(device.id);
    const alarmSeverity = worst.get(device.id) ?? null;
    const health: DeviceHealth =
      status?.state === 'down' ? 'comm-down' : alarmSeverity ? 'alarm' : !status || status.state === 'connecting' ? 'unknown' : 'ok';
    healthCounts[health]++;
    const points = tilePoints(device, catalog);
    for (const p of points) livePoints.add(p);
    let locations = byKind.get(device.kind);
    if (!locations) {
      locations = new Map();
      byKind.set(device.kind, locations);
    }
    let tiles = locations.get(device.location);
    if (!tiles) {
      tiles = [];
      locations.set(device.location, tiles);
    }
    tiles.push({ device, status, health, alarmSeverity, points, forecast: forecasts.get(device.id) ?? null });
  }
  const groups: DeviceGroup[] = [...byKind]
    .sort(([a], [b]) => KIND_ORDER.indexOf(a) - KIND_ORDER.indexOf(b))
    .map(([kind, locations]) => ({
      kind: kind as DeviceInfo['kind'],
      locations: [...locations]
        .sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b)))
        .map(([location, tiles]) => ({ location, tiles })),
    }));

  const figures = siteFigures(catalog).map((f) => {
    for (const p of f.pointIds) livePoints.add(p);
    const values: number[] = [];
    for (const id of f.pointIds) {
      const v = deps.store.latestOf(id);
      if (v && v.quality !== 'bad' && typeof v.value === 'number') values.push(v.value);
    }
    return { ...f, value: aggregate(f.spec.aggregate, values) };
  });

  let alarms: OverviewModel['alarms'] = null;
  if (active) {
    const counts: Record<Severity, number> = { critical: 0, major: 0, minor: 0, warning: 0 };
    const causes = active.filter((a) => deps.incidents?.causeOf(a.id) === undefined);
    for (const a of causes) counts[a.severity]++;
    const incidents = deps.incidents ? deps.incidents.list().filter((i) => i.state !== 'normal').length : null;
    alarms = { counts, top: [...causes].sort(compareAlarms).slice(0, 8), total: causes.length, symptoms: active.length - causes.length, incidents };
  }
  return { groups, figures, alarms, healthCounts, livePoints: [...livePoints] };
}
