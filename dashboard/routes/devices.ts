import { Hono } from 'hono';
import type { DeviceInfo } from '../../gateway/catalog.js';
import type { DeviceStatus } from '../../core/device-status.js';
import type { DashboardDeps } from '../deps.js';
import { jsonError } from '../errors.js';

export function deviceView(info: DeviceInfo, status: DeviceStatus | undefined) {
  return {
    id: info.id,
    name: info.name,
    kind: info.kind,
    location: info.location,
    driver: info.driver,
    profile: info.profile,
    vendor: info.vendor,
    model: info.model,
    pollIntervalMs: info.pollIntervalMs,
    pointCount: info.pointIds.length,
    status: status?.state ?? 'connecting',
    lastSuccess: status?.lastSuccess ?? null,
    lastError: status?.lastError ?? null,
    errorCount: status?.errorCount ?? 0,
    polls: status?.polls ?? 0,
    overruns: status?.overruns ?? 0,
    lastPollMs: status?.lastPollMs ?? null,
    retryAt: status?.retryAt ?? null,
  };
}

export function deviceRoutes(deps: DashboardDeps): Hono {
  const statusById = () => new Map(deps.deviceStatus().map((s) => [s.deviceId, s]));
  return new Hono()
    .get('/', (c) => {
      const statuses = statusById();
      return c.json(deps.catalog.devices.map((d) => deviceView(d, statuses.get(d.id))));
    })
    .get('/:id', (c) => {
      const info = deps.catalog.device(c.req.param('id'));
      if (!info) return jsonError(c, 404, 'not-found', `no device "${c.req.param('id')}"`);
      return c.json(deviceView(info, statusById().get(info.id)));
    });
}
