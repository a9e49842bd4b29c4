/**
 * The running devices, changeable one by one: each device has its own sampler (all sharing the
 * link lock and the sink), so a live reload stops and starts only the devices it added, removed
 * or changed while every other device keeps its poll grid. Devices added live are started by
 * their driver module in a group of their own; a group closes when its last device goes.
 */
import { dirname } from 'node:path';
import type { DeviceStatus } from '../core/device-status.js';
import type { Driver } from '../core/driver.js';
import type { DriverModule, StartedDrivers } from '../core/driver-module.js';
import type { LinkLock } from '../core/link-lock.js';
import type { Logger } from '../core/logger.js';
import type { Sample } from '../core/types.js';
import type { DeviceConfig, SiteConfig } from '../config/types.js';
import { DRIVER_MODULES } from '../drivers/registry.js';
import { createSampler, type SampledDevice, type Sampler } from '../gateway/sampler.js';

interface RunningDevice {
  config: DeviceConfig;
  driver: Driver;
  sampler: Sampler;
  /** the live-started group it belongs to (absent: started with the gateway) */
  group?: { drivers: StartedDrivers; members: Set<string> };
}

export interface LiveDevices {
  start(): void;
  /** devices in config order */
  status(): DeviceStatus[];
  statusOf(id: string): DeviceStatus | undefined;
  driverOf(id: string): Driver | undefined;
  /** Stops the removed and changed devices, then starts the changed and added ones as `next` has them. */
  replace(next: SiteConfig, change: { added: string[]; removed: string[]; changed: string[] }): Promise<void>;
  /** Why a device of `next` cannot be (re)started live, or undefined when it can. */
  liveRefusal(device: DeviceConfig, next: SiteConfig, touched: ReadonlySet<string>): string | undefined;
  stop(): Promise<void>;
}

export interface LiveDevicesOptions {
  config: SiteConfig;
  /** the drivers startDriverModules made, one per config device in order */
  initial: readonly SampledDevice[];
  sink: (samples: Sample[]) => void;
  linkLock: LinkLock;
  logger: Logger;
  appendEvent(type: string, data: Record<string, unknown>): void;
}

const modules = DRIVER_MODULES as readonly DriverModule<DeviceConfig, SiteConfig>[];

export function createLiveDevices(options: LiveDevicesOptions): LiveDevices {
  const samplerLog = options.logger.child({ component: 'sampler' });
  let order = options.config.devices.map((d) => d.id);
  const running = new Map<string, RunningDevice>();
  let started = false;
  // set by stop(): an apply still in flight must not start pollers on a stopping gateway
  let stopped = false;

  const samplerFor = (sampled: SampledDevice) => createSampler({ devices: [sampled], sink: options.sink, linkLock: options.linkLock, logger: samplerLog });
  options.config.devices.forEach((config, i) => {
    const sampled = options.initial[i]!;
    running.set(config.id, { config, driver: sampled.driver, sampler: samplerFor(sampled) });
  });

  const stopDevice = async (id: string) => {
    const dev = running.get(id);
    if (!dev) return;
    running.delete(id);
    await dev.sampler.stop();
    if (dev.group) {
      dev.group.members.delete(id);
      if (dev.group.members.size === 0) await dev.group.drivers.close?.();
    }
  };

  const startGroup = async (devices: DeviceConfig[], site: SiteConfig) => {
    const ctx = {
      site,
      gatewayId: site.gateway.id,
      dataDir: site.gateway.dataDir,
      configDir: dirname(site.file),
      logger: options.logger,
      appendEvent: options.appendEvent,
    };
    for (const module of modules) {
      const mine = devices.filter((d) => d.driver === module.name);
      if (mine.length === 0) continue;
      const drivers = await module.start(mine, ctx);
      if (stopped) {
        await drivers.close?.();
        continue;
      }
      const group = { drivers, members: new Set(mine.map((d) => d.id)) };
      mine.forEach((config, i) => {
        const driver = drivers.drivers[i]!;
        const sampler = samplerFor({ driver, pollIntervalMs: config.pollIntervalMs, pointIds: config.points.map((p) => p.id) });
        running.set(config.id, { config, driver, sampler, group });
        if (started) sampler.start();
      });
    }
  };

  return {
    start() {
      started = true;
      for (const dev of running.values()) dev.sampler.start();
    },
    status: () => order.flatMap((id) => running.get(id)?.sampler.status() ?? []),
    statusOf: (id) => running.get(id)?.sampler.statusOf(id),
    driverOf: (id) => running.get(id)?.driver,
    async replace(next, change) {
      await Promise.all([...change.removed, ...change.changed].map(stopDevice));
      const byId = new Map(next.devices.map((d) => [d.id, d]));
      const toStart = [...change.changed, ...change.added].map((id) => byId.get(id)!).filter(Boolean);
      await startGroup(toStart, next);
      order = next.devices.map((d) => d.id);
    },
    liveRefusal(device, next, touched) {
      const module = modules.find((m) => m.name === device.driver);
      // Its module runs a shared listener (the embedded broker, the trap receiver): a second start would open it twice.
      if (module?.startsWithoutDevices?.(next)) return `devices ${device.id}: driver ${device.driver} starts a shared listener; needs a restart`;
      // A serial port opens once; a device joining a bus an unchanged device holds needs that device's link.
      const port = serialPortOf(device);
      if (port !== undefined) {
        const holder = [...running.values()].find((r) => !touched.has(r.config.id) && serialPortOf(r.config) === port);
        if (holder) return `devices ${device.id}: shares serial port ${port} with ${holder.config.id}; needs a restart`;
      }
      return undefined;
    },
    async stop() {
      stopped = true;
      await Promise.all([...running.keys()].map(stopDevice));
    },
  };
}

function serialPortOf(device: DeviceConfig): string | undefined {
  const connection = (device as { connection?: { serialPort?: unknown } }).connection;
  return typeof connection?.serialPort === 'string' ? connection.serialPort : undefined;
}
