/**
 * GET /api/v1/health. Anyone on the LAN may ask (load balancers, uptime checks), so the anonymous
 * answer is the public view only: status, version and device counts. Everything else (conditions,
 * sync targets, alarm and broker counters, store sizes) describes the site and its upstreams and
 * needs a session or an API token of any role; the auth middleware notes a valid one.
 */
import { Hono } from 'hono';
import type { Principal } from '../../gateway/auth/types.js';
import { scrubUrlsDeep } from '../../core/redact-url.js';
import type { WebEnv } from '../context.js';
import type { DashboardDeps } from '../deps.js';

export function healthRoutes(deps: DashboardDeps): Hono<WebEnv> {
  const now = deps.now ?? Date.now;
  return new Hono<WebEnv>().get('/', (c) => {
    const devices = deps.deviceStatus();
    const count = (state: string) => devices.filter((d) => d.state === state).length;
    const publicView = {
      status: deps.selfHealth?.status() ?? 'ok',
      version: deps.version,
      devices: {
        total: devices.length,
        up: count('up'),
        degraded: count('degraded'),
        down: count('down'),
        connecting: count('connecting'),
      },
    };
    c.header('Cache-Control', 'no-store');
    // Health is public, so the middleware leaves principal unset for anonymous callers.
    const principal = c.get('principal') as Principal | undefined;
    if (!principal) return c.json(publicView);
    const stats = deps.store.stats();
    return c.json({
      status: publicView.status,
      conditions: scrubUrlsDeep(deps.selfHealth?.conditions() ?? []),
      gatewayId: deps.gatewayId,
      version: deps.version,
      startedAt: deps.startedAt,
      uptimeS: Math.round((deps.uptimeMs?.() ?? now() - deps.startedAt) / 1000),
      devices: publicView.devices,
      store: stats,
      // Sections come from many modules (sync, alarms, broker): no URL in them leaves with more than scheme://host:port.
      ...Object.fromEntries(Object.entries(deps.healthSections ?? {}).map(([name, section]) => [name, scrubUrlsDeep(section())])),
    });
  });
}
