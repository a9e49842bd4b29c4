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
import type { MqttTargetConfig, SyncSection, SyncTargetConfig } from './config-schema.js';
import { type SyncHealth, syncHealth } from './health.js';
import { createHttpTransport } from './http-transport.js';
import { type SyncMetricFamily, syncMetrics } from './metrics.js';
import { createPullRoutes, type VerifyToken } from './pull-routes.js';
import { createTargetRunner, type SyncStore, type TargetRunner } from './target-runner.js';
import type { Transport } from './transport.js';
import type { SeriesInfoLookup } from './tsdb/series-labels.js';

export type { SeriesInfo } from './tsdb/series-labels.js';

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
  /** What a time-series database labels each series with (device, point key, kind, unit); from the catalog. */
  seriesInfo?: SeriesInfoLookup;
}


/** Which push targets a live config change touches, by id (the config diff's list). */
export interface TargetChanges {
  added: readonly string[];
  removed: readonly string[];
  changed: readonly string[];
}

export interface SyncService {
  /** Starts every push target. */
  start(): void;
  /**
   * A live config change: an untouched target keeps running (its cursor and the batch in flight
   * go on); a removed one stops; a changed one stops and starts again from its stored cursor (the
   * batch it had in flight is sent again: receivers dedupe by seq); an added one starts from 0.
   */
  replaceTargets(targets: readonly SyncTargetConfig[], changes: TargetChanges): Promise<void>;
  /** ids of push targets that acknowledged a batch or sit idle with nothing to send (the config guard's "reachable") */
  reachableTargets(): string[];
  /** whether a push target's sends fail since its last ack; undefined when no such target runs */
  targetFailing(id: string): boolean | undefined;
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
  // Time-series targets encode rows their own way: their reader skips the JSON.
  const rowsReader = createBatchReader(store, opts.gatewayId, { json: false });
  const runners = new Map<string, TargetRunner>();
  // Opened when the first MQTT target that will take commands is made (at start or live).
  let commandLog: CommandLog | undefined;
  let started = false;
  let targetList: readonly SyncTargetConfig[] = config.targets;

  async function makeRunner(target: SyncTargetConfig): Promise<TargetRunner> {
    const log = logger.child({ target: target.id });
    if (opts.commands && target.kind === 'mqtt') commandLog ??= openCommandLog(opts.commands.logFile);
    return createTargetRunner({
      id: target.id,
      kind: target.kind,
      url: shownUrl(target),
      // Prometheus and Influx keep samples: events have no place there (health says so).
      streams: isTimeSeries(target) ? ['readings'] : ['events', 'readings'],
      store,
      reader: isTimeSeries(target) ? rowsReader : reader,
      transport: await transportFor(target, opts, log, commandLog),
      limits: { items: target.batchItems, bytes: target.batchBytes },
      retry: target,
      logger: log,
      now,
      ...(opts.random ? { random: opts.random } : {}),
    });
  }
  for (const target of config.targets) runners.set(target.id, await makeRunner(target));

  const health = () =>
    syncHealth(
      store,
      [...runners.values()].map((r) => r.status()),
      config.pull.targets,
      now(),
    );
  return {
    start() {
      started = true;
      for (const r of runners.values()) r.start();
      if (runners.size > 0) logger.info('sync started', { targets: targetList.map((t) => `${t.id} (${t.kind} ${shownUrl(t)})`) });
    },
    async replaceTargets(targets, changes) {
      const stopping = [...changes.removed, ...changes.changed];
      await Promise.all(stopping.map((id) => runners.get(id)?.stop()));
      for (const id of stopping) runners.delete(id);
      const making = new Set([...changes.added, ...changes.changed]);
      // in config order, so health lists them as the file does
      const next = new Map<string, TargetRunner>();
      for (const target of targets) {
        const runner = making.has(target.id) ? await makeRunner(target) : runners.get(target.id);
        if (!runner) throw new Error(`sync target "${target.id}" is neither running nor in the change`);
        next.set(target.id, runner);
        if (started && making.has(target.id)) runner.start();
      }
      runners.clear();
      for (const [id, runner] of next) runners.set(id, runner);
      targetList = targets;
      logger.info('sync targets changed', { added: changes.added, removed: changes.removed, changed: changes.changed });
    },
    reachableTargets: () =>
      [...runners.values()].flatMap((r) => {
        const s = r.status();
        return s.lastError === null && (s.lastSuccess !== null || s.state === 'idle') ? [s.id] : [];
      }),
    targetFailing(id) {
      const runner = runners.get(id);
      return runner ? runner.status().lastError !== null : undefined;
    },
    async stop() {
      started = false;
      await Promise.all([...runners.values()].map((r) => r.stop()));
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

const isTimeSeries = (t: SyncTargetConfig) => t.kind === 'prometheus' || t.kind === 'influx';

/** The target's address as health and logs show it: without credentials; a cluster as its server list. */
function shownUrl(target: SyncTargetConfig): string {
  return target.kind === 'nats' ? target.servers.map(publicUrl).join(',') : publicUrl(target.url);
}

/** Each engine's client library loads only when a target of its kind is configured. */
async function transportFor(target: SyncTargetConfig, opts: SyncOptions, logger: Logger, commandLog?: CommandLog): Promise<Transport> {
  switch (target.kind) {
    case 'http':
      return createHttpTransport({ target, gatewayId: opts.gatewayId, version: opts.version });
    case 'mqtt':
      return mqttTransport(target, opts, logger, commandLog);
    case 'prometheus': {
      const { createPrometheusTransport } = await import('./tsdb/prometheus-transport.js');
      return createPrometheusTransport({ target, gatewayId: opts.gatewayId, version: opts.version, seriesInfo: opts.seriesInfo });
    }
    case 'influx': {
      const { createInfluxTransport } = await import('./tsdb/influx-transport.js');
      return createInfluxTransport({ target, gatewayId: opts.gatewayId, version: opts.version, seriesInfo: opts.seriesInfo });
    }
    case 'nats': {
      const { createNatsTransport } = await import('./nats/transport.js');
      return createNatsTransport({ target, gatewayId: opts.gatewayId, logger, ...(opts.random ? { random: opts.random } : {}) });
    }
    default:
      // Every kind is handled above; this is for a config that bypassed the schema.
      throw new Error(`sync target kind "${(target as { kind: string }).kind}" is not wired`);
  }
}

async function mqttTransport(target: MqttTargetConfig, opts: SyncOptions, logger: Logger, commandLog?: CommandLog): Promise<Transport> {
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
