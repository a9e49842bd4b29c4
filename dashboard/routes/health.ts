import { Hono } from 'hono';
import type { DashboardDeps } from '../deps.js';

export function healthRoutes(deps: DashboardDeps): Hono {
  const now = deps.now ?? Date.now;
  return new Hono().get('/', (c) => {
    const devices = deps.deviceStatus();
    const count = (state: string) => devices.filter((d) => d.state === state).length;
    const stats = deps.store.stats();
    return c.json({
      status: 'ok',
      gatewayId: deps.gatewayId,
      version: deps.version,
      startedAt: deps.startedAt,
      uptimeS: Math.round((now() - deps.startedAt) / 1000),
      devices: {
        total: devices.length,
        up: count('up'),
        degraded: count('degraded'),
        down: count('down'),
        connecting: count('connecting'),
      },
      store: stats,
      ...Object.fromEntries(Object.entries(deps.healthSections ?? {}).map(([name, section]) => [name, section()])),
    });
  });
}
