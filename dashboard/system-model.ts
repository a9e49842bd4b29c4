/** What the system page and GET /api/v1/system show: versions, uptime, disk, database, drivers, alarms. */
import { scrubUrlsDeep } from '../core/redact-url.js';
import type { DashboardDeps } from './deps.js';

export interface DriverHealth {
  driver: string;
  devices: number;
  up: number;
  degraded: number;
  down: number;
  connecting: number;
  errors: number;
}

export function systemInfo(deps: DashboardDeps) {
  const now = (deps.now ?? Date.now)();
  const statuses = new Map(deps.deviceStatus().map((s) => [s.deviceId, s]));
  const drivers = new Map<string, DriverHealth>();
  for (const d of deps.catalog.devices) {
    let h = drivers.get(d.driver);
    if (!h) {
      h = { driver: d.driver, devices: 0, up: 0, degraded: 0, down: 0, connecting: 0, errors: 0 };
      drivers.set(d.driver, h);
    }
    const s = statuses.get(d.id);
    h.devices++;
    h[s?.state ?? 'connecting']++;
    h.errors += s?.errorCount ?? 0;
  }
  let disk: ReturnType<NonNullable<DashboardDeps['diskUsage']>>;
  try {
    disk = deps.diskUsage?.();
  } catch {
    disk = undefined;
  }
  return {
    gatewayId: deps.gatewayId,
    version: deps.version,
    node: process.version,
    startedAt: deps.startedAt,
    uptimeS: Math.round((deps.uptimeMs?.() ?? now - deps.startedAt) / 1000),
    disk: disk ?? null,
    store: deps.store.stats(),
    drivers: [...drivers.values()],
    // Notification targets and their errors: no URL leaves with more than scheme://host:port.
    alarms: scrubUrlsDeep(deps.alarms?.health() ?? null),
  };
}

export type SystemInfo = ReturnType<typeof systemInfo>;
