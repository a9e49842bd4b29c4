/** GET /api/v1/topology: the site's nodes, their links and live state (topology-model.ts). */
import { Hono } from 'hono';
import type { DashboardDeps } from '../deps.js';
import { jsonError } from '../errors.js';
import { buildTopologyView } from '../topology-model.js';

export function topologyRoutes(deps: DashboardDeps): Hono {
  return new Hono().get('/', (c) => {
    if (!deps.topology) return jsonError(c, 404, 'not-found', 'this gateway has no site topology');
    return c.json(buildTopologyView(deps, deps.topology));
  });
}
