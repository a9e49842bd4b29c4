import { Hono } from 'hono';
import type { DashboardDeps } from './deps.js';
import { jsonError } from './errors.js';
import { overviewPage } from './pages/overview.js';
import { deviceRoutes } from './routes/devices.js';
import { healthRoutes } from './routes/health.js';
import { pointRoutes } from './routes/points.js';

export function createDashboardApp(deps: DashboardDeps): Hono {
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('X-Frame-Options', 'DENY');
    c.header('Referrer-Policy', 'no-referrer');
  });
  app.route('/api/v1/health', healthRoutes(deps));
  app.route('/api/v1/devices', deviceRoutes(deps));
  app.route('/api/v1/points', pointRoutes(deps));
  app.route('/', overviewPage(deps));
  app.notFound((c) => jsonError(c, 404, 'not-found', `no route ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    deps.logger.error('request failed', { path: c.req.path, error: err });
    return jsonError(c, 500, 'internal', 'internal error; see the gateway log');
  });
  return app;
}
