/**
 * Uptime comes from the monotonic clock (deps.uptimeMs): a wall clock stepped back after start
 * read uptimeS −260, one stepped forward 189,216,033.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { WebEnv } from '../../dashboard/context.js';
import type { DashboardDeps } from '../../dashboard/deps.js';
import { healthRoutes } from '../../dashboard/routes/health.js';
import { metricsRoutes } from '../../dashboard/routes/metrics.js';
import { systemInfo } from '../../dashboard/system-model.js';
import { silentLogger } from '../../core/logger.js';

const STARTED = Date.UTC(2026, 0, 1);

function deps(wallNow: number): DashboardDeps {
  const stats = { lastReadingSeq: 0, lastEventSeq: 0, readingCount: 0, databaseBytes: 0, pending: 0, commits: 0, droppedByRetention: 0, eventsDroppedByRetention: 0, commitErrors: 0, lastError: null, failingSince: null, droppedByOverflow: 0, maxQueue: 200_000 };
  return {
    gatewayId: 'gw',
    version: '0.0.0',
    startedAt: STARTED,
    uptimeMs: () => 33_400,
    now: () => wallNow,
    store: { stats: () => stats },
    deviceStatus: () => [],
    catalog: { devices: [] },
    logger: silentLogger,
  } as unknown as DashboardDeps;
}

describe('uptime across wall-clock steps', () => {
  it.each([
    ['back 300 s', STARTED + 33_400 - 300_000],
    ['forward 6 years', STARTED + 33_400 + 189_216_000_000],
  ])('health, the system page and /metrics show 33 s of uptime after a step %s', async (_name, wallNow) => {
    // the full health view is for a signed-in caller
    const app = new Hono<WebEnv>()
      .use((c, next) => {
        c.set('principal', { name: 'ops', role: 'viewer', via: 'token' });
        return next();
      })
      .route('/', healthRoutes(deps(wallNow)));
    const health = (await (await app.request('/')).json()) as { uptimeS: number };
    expect(health.uptimeS).toBe(33);
    expect(systemInfo(deps(wallNow)).uptimeS).toBe(33);
    const metrics = await (await metricsRoutes(deps(wallNow)).request('/')).text();
    expect(metrics).toMatch(/^gateway_uptime_seconds 33\.4$/m);
  });
});
