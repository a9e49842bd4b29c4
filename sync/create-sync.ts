/**
 * Upstream sync for one gateway: a runner per push target, the pull API, health and metrics.
 * MQTT's client library loads only when an MQTT target is configured.
 */
import type { Hono } from 'hono';
import type { Logger } from '../core/logger.js';
import type { ControlService } from '../gateway/control/types.js';
import { publicUrl } from '../core/redact-url.js';
import { createBatchReader } from './batch.js';
import { type CommandLog, openCommandLog } from './command-log.js';
import type { SyncSection, SyncTargetConfig } from './config-schema.js';
import { type SyncHealth, syncHealth } from './health.js';
import { createHttpTransport } from './http-transport.js';
import { type SyncMetricFamily, syncMetrics } from './metrics.js';
import { createPullRoutes, type VerifyToken } from './pull-routes.js';
import { createTargetRunner, type SyncStore, type TargetRunner } from './target-runner.js';
import type { Transport } from './transport.js';

export interface SyncOptions {
  config: SyncSection;
  gatewayId: string;
  version: string;
  startedAt: number;
  store: SyncStore;
  logger: Logger;
  now?: () => number;
  random?: () => number;
  /**
   * EMS commands over MQTT targets, only when the site allows central control (control.allowEms):
   * the control service and where the command-id log lives (`sync-commands.db` in the data folder).
   * Absent: MQTT targets subscribe to nothing.
   */
  commands?: { control: ControlService; logFile: string };
}

export interface SyncService {
  /** Starts every push target. */
  start(): void;
  /** Stops them; batches in flight are sent again on the next start. */
  stop(): Promise<void>;
  health(): SyncHealth;
  metrics(): SyncMetricFamily[];
  /** The pull API, to mount at /api/v1/sync. */
  pullRoutes(verifyToken: VerifyToken): Hono;
}

export async function createSync(opts: SyncOptions): Promise<SyncService> {
  const { config, store, logger } = opts;
  const now = opts.now ?? Date.now;
  const reader = createBatchReader(store, opts.gatewayId);
  const runners: TargetRunner[] = [];
  // Opened only when some target will take commands.
  const commandLog: CommandLog | undefined =
    opts.commands && config.targets.some((t) => t.kind === 'mqtt') ? openCommandLog(opts.commands.logFile) : undefined;
  for (const target of config.targets) {
    const log = logger.child({ target: target.id });
    runners.push(
      createTargetRunner({
        id: target.id,
        kind: target.kind,
        url: publicUrl(target.url),
        store,
        reader,
        transport: await transportFor(target, opts, log, commandLog),
        limits: { items: target.batchItems, bytes: target.batchBytes },
        retry: target,
        logger: log,
        now,
        ...(opts.random ? { random: opts.random } : {}),
      }),
    );
  }
  const health = () =>
    syncHealth(
      store,
      runners.map((r) => r.status()),
      config.pull.targets,
      now(),
    );
  return {
    start() {
      for (const r of runners) r.start();
      if (runners.length > 0) logger.info('sync started', { targets: config.targets.map((t) => `${t.id} (${t.kind} ${publicUrl(t.url)})`) });
    },
    async stop() {
      await Promise.all(runners.map((r) => r.stop()));
      commandLog?.close();
    },
    health,
    metrics: () => syncMetrics(health()),
    pullRoutes: (verifyToken) =>
      createPullRoutes({
        store,
        gatewayId: opts.gatewayId,
        targets: config.pull.targets,
        maxLimit: config.pull.maxLimit,
        verifyToken,
        logger: logger.child({ component: 'sync-pull' }),
      }),
  };
}

async function transportFor(target: SyncTargetConfig, opts: SyncOptions, logger: Logger, commandLog?: CommandLog): Promise<Transport> {
  if (target.kind === 'http') return createHttpTransport({ target, gatewayId: opts.gatewayId, version: opts.version });
  const { createMqttTransport } = await import('./mqtt-transport.js');
  return createMqttTransport({
    target,
    gatewayId: opts.gatewayId,
    version: opts.version,
    startedAt: opts.startedAt,
    logger,
    ...(opts.random ? { random: opts.random } : {}),
    ...(opts.commands && commandLog ? { commands: { control: opts.commands.control, log: commandLog } } : {}),
  });
}
