/**
 * The composition root: the one place that wires config, store, drivers, sampler and the web
 * server together. Nothing else constructs these, and nothing imports this file but the CLI.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SiteConfig } from '../config/types.js';
import { createDashboardApp } from '../dashboard/app.js';
import { startHttpServer } from '../dashboard/http-server.js';
import { createModbusDriver, createModbusLinkPool } from '../drivers/modbus/index.js';
import { createCatalog } from './catalog.js';
import type { Driver } from './driver.js';
import { GatewayError } from './errors.js';
import type { Logger } from './logger.js';
import { createSampler, type SampledDevice } from './sampler.js';
import { createStore } from './store/index.js';

export interface RunningGateway {
  /** the HTTP port actually bound */
  port: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
  version: string;
}

export async function startGateway(config: SiteConfig, { logger, version }: StartOptions): Promise<RunningGateway> {
  try {
    mkdirSync(config.gateway.dataDir, { recursive: true });
  } catch (err) {
    throw new GatewayError(`cannot create the data folder ${config.gateway.dataDir}`, { cause: err });
  }
  const store = createStore({
    file: join(config.gateway.dataDir, 'gateway.db'),
    synchronous: config.storage.synchronous,
    commitIntervalMs: config.storage.commitIntervalMs,
    maxBatch: config.storage.maxBatch,
    retention: config.storage.retention,
    logger: logger.child({ component: 'store' }),
  });
  const links = createModbusLinkPool({ logger: logger.child({ component: 'modbus' }) });
  const sampled: SampledDevice[] = config.devices.map((device) => {
    const driver: Driver = createModbusDriver(device, { links, logger: logger.child({ component: 'modbus' }) });
    return { driver, pollIntervalMs: device.pollIntervalMs, pointIds: device.points.map((p) => p.id) };
  });
  const sampler = createSampler({
    devices: sampled,
    sink: (samples) => store.append(samples),
    logger: logger.child({ component: 'sampler' }),
  });
  const startedAt = Date.now();
  const app = createDashboardApp({
    gatewayId: config.gateway.id,
    version,
    startedAt,
    catalog: createCatalog(config.devices),
    store,
    deviceStatus: () => sampler.status(),
    logger: logger.child({ component: 'http' }),
  });
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    server = await startHttpServer(app, config.http.host, config.http.port);
  } catch (err) {
    store.close();
    throw err;
  }
  sampler.start();
  logger.info('gateway started', {
    gatewayId: config.gateway.id,
    devices: config.devices.length,
    points: config.devices.reduce((n, d) => n + d.points.length, 0),
    http: `${config.http.host}:${server.port}`,
  });
  return {
    port: server.port,
    async stop() {
      await sampler.stop();
      await server.close();
      store.close();
      logger.info('gateway stopped');
    },
  };
}
