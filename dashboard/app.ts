import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { authenticate } from './auth/authenticate.js';
import { loginRoutes } from './auth/login-routes.js';
import { bodyLimits } from './body-limit.js';
import { MAX_CONFIG_BYTES } from './routes/config.js';
import type { WebEnv } from './context.js';
import type { DashboardDeps } from './deps.js';
import { jsonError } from './errors.js';
import { hostCheck } from './host-allowlist.js';
import { createLiveHub, type LiveHub } from './live/live-hub.js';
import { alarmsPage } from './pages/alarms.js';
import { configPage } from './pages/config.js';
import { actionsPage } from './pages/actions.js';
import { actionRoutes } from './routes/actions.js';
import { devicePages } from './pages/devices.js';
import type { PageKit } from './pages/layout.js';
import { overviewPage } from './pages/overview.js';
import { snapshotPage } from './pages/snapshot.js';
import { systemPage } from './pages/system.js';
import { topologyPage } from './pages/topology.js';
import { trendsPage } from './pages/trends.js';
import { userPages } from './pages/users.js';
import { preferences } from './preferences.js';
import { alarmRoutes } from './routes/alarms.js';
import { analyticsRoutes } from './routes/analytics.js';
import { analyticsPage } from './pages/analytics.js';
import { incidentRoutes } from './routes/incidents.js';
import { deviceRoutes } from './routes/devices.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { liveRoutes } from './routes/live.js';
import { metricsRoutes } from './routes/metrics.js';
import { pointRoutes } from './routes/points.js';
import { controlRoutes } from './routes/control.js';
import { snapshotRoutes } from './routes/snapshots.js';
import { systemRoutes } from './routes/system.js';
import { topologyRoutes } from './routes/topology.js';
import { trendRoutes } from './routes/trends.js';
import { securityHeaders } from './security-headers.js';
import { createStaticAssets, type StaticAssets } from './static-assets.js';

export interface DashboardOptions {
  /** shared by apps in one process (tests, benches); one is made when not given */
  assets?: StaticAssets;
  hub?: LiveHub;
  /** SSE heartbeat (default 15 s) */
  heartbeatMs?: number;
}

export function createDashboardApp(deps: DashboardDeps, options: DashboardOptions = {}): Hono<WebEnv> {
  const assets = options.assets ?? createStaticAssets();
  const hub = options.hub ?? createLiveHub({ store: deps.store, deviceStatus: deps.deviceStatus, logger: deps.logger });
  const kit: PageKit = { deps, assets };
  const tls = deps.tls === true;

  const app = new Hono<WebEnv>();
  app.use('*', securityHeaders(tls));
  if (deps.allowedHost) app.use('*', hostCheck(deps.allowedHost));
  // Before anything reads a body (the CSRF check reads form fields, the login routes the form).
  app.use('*', bodyLimits(deps.maxBodyBytes, { '/api/v1/config': MAX_CONFIG_BYTES }));
  // Pages shrink ~8× gzipped (a tablet on site Wi-Fi); the JSON API is left to its clients and
  // the sync routes, whose throughput a per-response compressor would cap.
  const gzipPages = compress({ encoding: 'gzip' });
  app.use('*', (c, next) => (c.req.path.startsWith('/api/') || c.req.path === '/metrics' ? next() : gzipPages(c, next)));
  app.use('*', preferences(tls));
  app.route('/static', assets.routes);
  app.get('/favicon.ico', (c) => c.redirect(assets.url('icon.svg'), 301));
  app.use('*', authenticate(deps.auth));

  app.route('/', loginRoutes(kit, deps.auth));
  app.route('/api/v1/health', healthRoutes(deps));
  app.route('/api/v1/devices', deviceRoutes(deps));
  app.route('/api/v1/points', controlRoutes(deps));
  app.route('/api/v1/points', pointRoutes(deps));
  if (deps.alarms) app.route('/api/v1/alarms', alarmRoutes(deps.alarms, deps.incidents));
  if (deps.incidents) app.route('/api/v1/incidents', incidentRoutes(deps.incidents, deps.alarms));
  if (deps.snapshots) {
    app.route('/api/v1/alarms', snapshotRoutes(deps.snapshots, 'alarm'));
    app.route('/api/v1/incidents', snapshotRoutes(deps.snapshots, 'incident'));
  }
  if (deps.actions) app.route('/api/v1/actions', actionRoutes(deps.actions));
  app.route('/api/v1/events', eventRoutes(deps.store));
  app.route('/api/v1/topology', topologyRoutes(deps));
  app.route('/metrics', metricsRoutes(deps));
  for (const mount of deps.mounts ?? []) app.route(mount.path, mount.app);
  app.route('/api/v1', trendRoutes(deps));
  app.route('/api/v1', analyticsRoutes(deps));
  app.route('/api/v1/system', systemRoutes(deps));
  app.route('/api/v1/live', liveRoutes(deps, hub, { heartbeatMs: options.heartbeatMs }));

  app.route('/', overviewPage(kit));
  app.route('/alarms', alarmsPage(kit));
  app.route('/actions', actionsPage(kit));
  app.route('/snapshots', snapshotPage(kit));
  app.route('/devices', devicePages(kit));
  app.route('/topology', topologyPage(kit));
  app.route('/trends', trendsPage(kit));
  app.route('/analytics', analyticsPage(kit));
  app.route('/system', systemPage(kit));
  app.route('/users', userPages(kit));
  app.route('/config', configPage(kit));

  app.notFound((c) => jsonError(c, 404, 'not-found', `no route ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    deps.logger.error('request failed', { path: c.req.path, error: err });
    return jsonError(c, 500, 'internal', 'internal error; see the gateway log');
  });
  return app;
}
