/**
 * Starts every registered driver module that has devices (or must run without them), and hands
 * the sampler one driver per device. The wiring file calls this; it names no driver itself.
 */
import { dirname } from 'node:path';
import type { DriverModule, MetricFamily, StartedDrivers } from '../core/driver-module.js';
import type { SiteConfig } from '../config/types.js';
import { DRIVER_MODULES } from '../drivers/registry.js';
import type { Logger } from '../core/logger.js';
import type { SampledDevice } from '../gateway/sampler.js';

export interface StartedDriverModules {
  /** one per configured device, in config order */
  devices: SampledDevice[];
  /** health sections by module name (e.g. `mqtt`) */
  health: Record<string, () => unknown>;
  /** GET /metrics providers of the modules that have them */
  metrics: Array<() => MetricFamily[]>;
  /** Closes what the modules share; call after the sampler closed the drivers. */
  close(): Promise<void>;
  /** Hands a live config change to every started module that takes one (the embedded broker's users). */
  replaceSite(site: SiteConfig): Promise<void>;
}

export async function startDriverModules(
  config: SiteConfig,
  logger: Logger,
  appendEvent: (type: string, data: Record<string, unknown>) => void,
): Promise<StartedDriverModules> {
  const ctx = { site: config, gatewayId: config.gateway.id, dataDir: config.gateway.dataDir, configDir: dirname(config.file), logger, appendEvent };
  const started: Array<{ name: string; drivers: StartedDrivers }> = [];
  const close = async () => {
    for (const { drivers } of started.splice(0).reverse()) await drivers.close?.();
  };
  const byId = new Map<string, SampledDevice>();
  try {
    for (const module of DRIVER_MODULES as readonly DriverModule<SiteConfig['devices'][number], SiteConfig>[]) {
      const devices = config.devices.filter((d) => d.driver === module.name);
      if (devices.length === 0 && !module.startsWithoutDevices?.(config)) continue;
      const drivers = await module.start(devices, ctx);
      started.push({ name: module.name, drivers });
      devices.forEach((device, i) => {
        byId.set(device.id, { driver: drivers.drivers[i]!, pollIntervalMs: device.pollIntervalMs, pointIds: device.points.map((p) => p.id) });
      });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return {
    devices: config.devices.map((d) => byId.get(d.id)!),
    health: Object.fromEntries(started.flatMap(({ name, drivers }) => (drivers.health ? [[name, () => drivers.health!()]] : []))),
    metrics: started.flatMap(({ drivers }) => (drivers.metrics ? [() => drivers.metrics!()] : [])),
    close,
    async replaceSite(site) {
      for (const { drivers } of started) await drivers.replaceSite?.(site);
    },
  };
}
