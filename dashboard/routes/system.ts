import { Hono } from 'hono';
import type { WebEnv } from '../context.js';
import type { DashboardDeps } from '../deps.js';
import { systemInfo } from '../system-model.js';

/** GET /api/v1/system: what the system page shows, as JSON. */
export function systemRoutes(deps: DashboardDeps): Hono<WebEnv> {
  return new Hono<WebEnv>().get('/', (c) => c.json(systemInfo(deps)));
}
