/**
 * The composition root: the one place that wires config, store, drivers, sampler and the web
 * server together. Nothing else constructs these, and nothing imports this file but the CLI.
 */
import { readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONTROL, type SiteConfig } from '../config/types.js';
import { createDashboardApp } from '../dashboard/app.js';
import { startHttpServer } from '../dashboard/http-server.js';
import { createSync, retentionHolds } from '../sync/index.js';
import { alarmMetricFamilies, createAlarmEngine, createAlarmNotifier } from '../gateway/alarms/index.js';
import { createIncidentEngine, type IncidentEngine } from '../gateway/incidents/index.js';
import { analyticsAlarmRules, createAnalyticsService, limitLinesByPoint } from '../gateway/analytics/index.js';
import { createAuthService, DEFAULT_THROTTLE, ensureFirstAdmin, openAuthDb, type UserAdmin } from '../gateway/auth/index.js';
import { createTokenStore } from '../gateway/auth/tokens.js';
import { createLiveCatalog } from '../gateway/live-config/live-catalog.js';
import { monotonicNow } from '../core/clock.js';
import { createClockMonitor } from '../gateway/clock-monitor.js';
import { createClockSyncProbe, markClockUncertain } from '../gateway/clock-sync.js';
import { lockDataDir } from '../gateway/data-dir-lock.js';
import { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createLiveDevices } from './live-devices.js';
import { createLiveApplier } from './live-apply.js';
import { startLiveConfig } from './start-live-config.js';
import { authPolicies, createLiveHttpSettings } from './live-sections.js';
import type { ApplyOutcome } from '../config/live/live-config.js';
import { createControlService } from '../gateway/control/index.js';
import { createActions } from '../gateway/actions/index.js';
import { createSnapshotService } from '../gateway/snapshots/snapshot-service.js';
import { DEFAULT_SNAPSHOT_SETTINGS } from '../gateway/snapshots/config-schema.js';
import { createLinkLock } from '../core/link-lock.js';
import type { Sample } from '../core/types.js';
import { type StartedDriverModules, startDriverModules } from './start-drivers.js';
import { eventLoopMetricFamilies, startEventLoopMonitor } from '../gateway/event-loop-monitor.js';
import { ensurePrivateDir } from '../gateway/private-files.js';
import { createSelfHealth } from '../core/self-health.js';
import { createStore } from '../gateway/store/index.js';

export interface RunningGateway {
  /** the HTTP port actually bound */
  port: number;
  /** web-page users (the demo creates its accounts through this) */
  users: UserAdmin;
  /** Re-reads the site file and applies what changed (SIGHUP); nothing changes on any problem. */
  reload(): Promise<ApplyOutcome>;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
  version: string;
  /** on a first run without users, create the admin from GATEWAY_ADMIN_PASSWORD (default true; the demo makes its own) */
  firstAdmin?: boolean;
  env?: NodeJS.ProcessEnv;
}

export async function startGateway(config: SiteConfig, { logger, version, firstAdmin = true, env = process.env }: StartOptions): Promise<RunningGateway> {
  // Hashes of passwords, sessions and tokens and every reading live here: 0700, whatever the umask.
  ensurePrivateDir(config.gateway.dataDir, (message) => logger.warn(message));
  // Before anything opens the database: a second gateway on the same folder stops here.
  const dataLock = lockDataDir(config.gateway.dataDir);
  // Services raise their faults here (storage, clock); health reads them.
  const selfHealth = createSelfHealth();
  // health shows how late timers run: a flood or a long job starving polls and the page shows here
  const loopDelay = startEventLoopMonitor();
  const store = createStore({
    file: join(config.gateway.dataDir, 'gateway.db'),
    synchronous: config.storage.synchronous,
    commitIntervalMs: config.storage.commitIntervalMs,
    maxBatch: config.storage.maxBatch,
    retention: config.storage.retention,
    // age retention waits for every sync target's ack (sync.retention: cooperate)
    retentionHolds: retentionHolds(config.sync),
    // report-by-exception: which points store a reading only when it moved (or a heartbeat is due)
    storePolicies: new Map(Object.entries(config.storePolicies ?? {})),
    // `storage` is raised while commits fail (disk full): health degraded, alarm system.storage
    selfHealth,
    logger: logger.child({ component: 'store' }),
  });
  let drivers: StartedDriverModules;
  try {
    drivers = await startDriverModules(config, logger, (type, data) => store.appendEvent(type, data));
  } catch (err) {
    store.close();
    dataLock.release();
    throw err;
  }
  // While the system says its clock is not synchronised, samples are marked (clock.requireSync).
  const clockSync = createClockSyncProbe(config.clock?.requireSync ?? 'auto');
  const sink = (samples: Sample[]) => store.append(markClockUncertain(samples, clockSync.state()));
  // One lock for polls and writes: a write to a device never interleaves with a poll on its link.
  const linkLock = createLinkLock();
  // One sampler per device: a live config change stops and starts only the devices it touches.
  const sampler = createLiveDevices({
    config,
    initial: drivers.devices,
    sink,
    linkLock,
    logger,
    appendEvent: (type, data) => store.appendEvent(type, data),
  });
  // Every write to equipment (page, API, central EMS) goes through this one service.
  const control = createControlService({
    devices: config.devices,
    driverOf: (id) => sampler.driverOf(id),
    deviceState: (id) => sampler.statusOf(id)?.state,
    store,
    ingest: sink,
    linkLock,
    config: config.control ?? DEFAULT_CONTROL,
    logger: logger.child({ component: 'control' }),
  });
  // follows live config changes (devices added, removed, changed)
  const catalog = createLiveCatalog(config.devices);
  const alarmLogger = logger.child({ component: 'alarms' });
  // Notifications go out for committed alarm events only, so a receiver never hears of one a crash undid.
  // A symptom's notifications wait while its cause is active (the incident engine, made below, decides).
  let incidents: IncidentEngine | undefined;
  const notifier = createAlarmNotifier({
    targets: config.alarmSettings.notify,
    gatewayId: config.gateway.id,
    logger: alarmLogger,
    isHeld: (a) => incidents?.isHeld(a) ?? false,
  });
  store.onCommit((batch) => {
    if (batch.events.length > 0) notifier.notify(batch.events);
  });
  // Learned baselines, anomaly findings and forecasts; their alarms go through the alarm engine.
  // The forecasts' limit lines follow the alarm rules, live changes included.
  let limitLines = limitLinesByPoint(config.alarms);
  const analytics = createAnalyticsService({
    specs: config.analytics ?? [],
    store,
    file: join(config.gateway.dataDir, 'analytics.db'),
    pointInfo: (id) => catalog.point(id),
    limitsOf: (pointId) => limitLines(pointId),
    logger: logger.child({ component: 'analytics' }),
  });
  const alarms = createAlarmEngine({
    rules: [...config.alarms, ...analyticsAlarmRules(config.analytics ?? [])],
    settings: config.alarmSettings,
    store,
    names: { point: (id) => catalog.point(id), device: (id) => catalog.device(id) },
    deviceState: (id) => sampler.statusOf(id)?.state,
    notifyHealth: () => notifier.health(),
    // the built-in system alarms (system.storage) follow the gateway's own conditions
    selfHealth,
    analytics,
    logger: alarmLogger,
  });
  // Incidents follow the committed alarm events and readings; correlation groups symptoms.
  incidents = createIncidentEngine({
    rules: config.incidents ?? [],
    correlation: config.correlation,
    store,
    alarms,
    topology: config.topology,
    logger: logger.child({ component: 'incidents' }),
  });
  // Automated actions follow the committed alarm and incident events; writes go through control.
  const actions = createActions({
    section: config.actions ?? { rules: [] },
    gatewayId: config.gateway.id,
    store,
    control,
    logger: logger.child({ component: 'actions' }),
  });
  // Event snapshots: the readings around each raise, in snapshots.db apart from the store's retention.
  const snapshots = createSnapshotService({
    file: join(config.gateway.dataDir, 'snapshots.db'),
    settings: config.snapshots ?? DEFAULT_SNAPSHOT_SETTINGS,
    store,
    devicePoints: (id) => catalog.device(id)?.pointIds ?? [],
    pointInfo: (id) => catalog.point(id),
    alarmOf: (id) => alarms.get(id),
    ...(config.topology && { topology: config.topology }),
    logger: logger.child({ component: 'snapshots' }),
  });
  const startedAt = Date.now();
  // uptime runs on the monotonic clock: a wall-clock step never moves it
  const startedMono = monotonicNow();
  // a wall-clock step becomes a `clock.stepped` event and shows in health
  const clockMonitor = createClockMonitor({
    appendEvent: (type, data, ts) => store.appendEvent(type, data, ts),
    selfHealth,
    sync: clockSync,
    logger: logger.child({ component: 'clock' }),
  });
  // Users, sessions and API tokens: their own SQLite file, so `gateway user add` works beside a running gateway.
  const authDb = openAuthDb(join(config.gateway.dataDir, 'auth.db'));
  const tokens = createTokenStore(authDb);
  const policies = authPolicies(config.auth);
  const auth = createAuthService({
    db: authDb,
    logger: logger.child({ component: 'auth' }),
    verifyToken: tokens.verifyToken,
    sessions: policies.sessions,
    throttle: { ...DEFAULT_THROTTLE, ...policies.throttle },
  });
  if (firstAdmin) await ensureFirstAdmin(auth.users, env, logger.child({ component: 'auth' }));
  const sweepTimer = setInterval(() => auth.sweep(), 3_600_000);
  sweepTimer.unref();
  const sync = await createSync({
    config: config.sync,
    gatewayId: config.gateway.id,
    version,
    startedAt,
    store,
    logger: logger.child({ component: 'sync' }),
    seriesInfo: (id) => {
      const point = catalog.point(id);
      const device = point && catalog.device(point.deviceId);
      return point && device ? { device: device.id, key: point.key, kind: device.kind, unit: point.unit } : undefined;
    },
    // EMS commands over MQTT targets: only with control.allowEms; otherwise nothing is subscribed.
    ...((config.control ?? DEFAULT_CONTROL).allowEms
      ? { commands: { control, logFile: join(config.gateway.dataDir, 'sync-commands.db') } }
      : {}),
  });
  let tlsMaterial: { cert: Buffer; key: Buffer } | undefined;
  if (config.http.tls) {
    try {
      tlsMaterial = { cert: readFileSync(config.http.tls.cert), key: readFileSync(config.http.tls.key) };
    } catch (err) {
      clearInterval(sweepTimer);
      await drivers.close();
      authDb.close();
      snapshots.stop();
      analytics.stop();
      store.close();
      dataLock.release();
      throw new GatewayError(`cannot read the TLS certificate or key (http.tls): ${(err as Error).message}`, { cause: err });
    }
  }
  // The body-size, live-stream and host settings the web app reads per request: they change live.
  const httpSettings = createLiveHttpSettings(config.http);
  // Reload (API, SIGHUP, `gateway reload`): validate, diff, apply only what changed; versions in config.db.
  const liveConfig = startLiveConfig({
    config,
    applier: createLiveApplier({
      devices: sampler,
      catalog,
      alarms,
      analytics,
      control,
      onAlarmRules: (rules) => {
        limitLines = limitLinesByPoint(rules);
      },
      sync,
      store,
      sections: {
        incidents,
        actions,
        auth,
        http: httpSettings,
        brokerUsers: (next) => drivers.replaceSite(next),
        logger: logger.child({ component: 'config' }),
      },
    }),
    deviceStatus: () => sampler.status(),
    reachableTargets: () => sync.reachableTargets(),
    targetFailing: (id) => sync.targetFailing(id),
    appendEvent: (type, data) => store.appendEvent(type, data),
    logger: logger.child({ component: 'config' }),
  });
  const app = createDashboardApp({
    gatewayId: config.gateway.id,
    version,
    startedAt,
    uptimeMs: () => monotonicNow() - startedMono,
    catalog,
    store,
    deviceStatus: () => sampler.status(),
    control,
    auth,
    tokens,
    tls: tlsMaterial !== undefined,
    allowedHost: httpSettings.allowedHost,
    maxBodyBytes: httpSettings.maxBodyBytes,
    maxLiveStreams: httpSettings.maxLiveStreams,
    diskUsage: () => {
      const fs = statfsSync(config.gateway.dataDir);
      return { path: config.gateway.dataDir, totalBytes: fs.blocks * fs.bsize, freeBytes: fs.bavail * fs.bsize };
    },
    mounts: [{ path: '/api/v1/sync', app: sync.pullRoutes(tokens.verifyToken) }, liveConfig.mount],
    alarms,
    incidents,
    snapshots,
    actions,
    analytics,
    ...(config.topology && { topology: config.topology }),
    selfHealth,
    healthSections: {
      sync: () => sync.health(),
      alarms: () => alarms.health(),
      snapshots: () => snapshots.health(),
      analytics: () => analytics.health(),
      ...drivers.health,
      eventLoop: () => loopDelay.snapshot(),
      clock: () => clockMonitor.health(),
      // write attempts by result since start
      control: () => control.stats(),
      // the running config version, and the watch after a live apply
      config: () => liveConfig.health(),
    },
    metrics: [
      () => sync.metrics(),
      () => alarmMetricFamilies(alarms.health()),
      () => eventLoopMetricFamilies(loopDelay.snapshot()),
      ...drivers.metrics,
    ],
    logger: logger.child({ component: 'http' }),
  });
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    server = await startHttpServer(app, config.http.host, config.http.port, tlsMaterial);
  } catch (err) {
    clearInterval(sweepTimer);
    await sync.stop();
    await drivers.close();
    authDb.close();
    snapshots.stop();
    analytics.stop();
    liveConfig.close();
    store.close();
    dataLock.release();
    throw err;
  }
  // Restores the persisted alarm state before the first sample can be evaluated.
  alarms.start();
  // after the alarms: it seeds its active set from theirs
  incidents.start();
  actions.start();
  // before the sampler: a raise from the first samples already takes its snapshot
  snapshots.start();
  analytics.start();
  await clockSync.refresh();
  clockMonitor.start();
  sampler.start();
  sync.start();
  logger.info('gateway started', {
    gatewayId: config.gateway.id,
    devices: config.devices.length,
    points: config.devices.reduce((n, d) => n + d.points.length, 0),
    http: `${config.http.host}:${server.port}`,
  });
  return {
    port: server.port,
    users: auth.users,
    reload: () => liveConfig.reloadFromFile('sighup'),
    async stop() {
      loopDelay.stop();
      clockMonitor.stop();
      await sampler.stop();
      await drivers.close();
      alarms.stop();
      incidents?.stop();
      await actions.stop();
      await notifier.close();
      await sync.stop();
      await server.close();
      clearInterval(sweepTimer);
      authDb.close();
      snapshots.stop();
      analytics.stop();
      liveConfig.close();
      store.close();
      dataLock.release();
      logger.info('gateway stopped');
    },
  };
}
