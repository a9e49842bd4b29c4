/**
 * The one shape every driver plugs in with (drivers/<name>/module.ts), listed once in
 * drivers/registry.ts. The config loader takes `config` from it; the gateway calls `start` with
 * the devices of that driver; `gateway simulate` calls `simulate`. Nothing else names a driver.
 */
import type { DriverConfigPlugin, LoadedDevice } from './driver-config.js';
import type { Driver } from './driver.js';
import type { Logger } from './logger.js';
import type { ScenarioState } from './scenarios.js';
import type { SiteCooling } from './site-cooling.js';

export interface DriverStartContext<S> {
  /** the parts of the site config the module reads (each module names the sections it needs) */
  site: S;
  gatewayId: string;
  /** the gateway's data folder (a module may keep files under it, e.g. OPC UA's PKI) */
  dataDir: string;
  /** the config file's folder: relative file names in the config are taken from it */
  configDir: string;
  logger: Logger;
  /** the store's event log (e.g. one `snmp.trap` event per accepted trap) */
  appendEvent(type: string, data: Record<string, unknown>): void;
}

/** A Prometheus metric family, as GET /metrics renders it. */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Array<{ labels?: Record<string, string>; value: number }>;
}

export interface StartedDrivers {
  /** one driver per device given to start(), in the same order */
  drivers: Driver[];
  /** the module's section of GET /api/v1/health (e.g. MQTT broker and ingest counters) */
  health?(): unknown;
  /** the module's GET /metrics families */
  metrics?(): MetricFamily[];
  /** Called after the sampler closed every driver. */
  close?(): Promise<void>;
  /** A live config change: the module takes what of its shared parts can change (the embedded broker's users); absent: nothing. */
  replaceSite?(site: unknown): Promise<void>;
}

export interface SimulationContext<S> {
  site: S;
  dataDir: string;
  logger: Logger;
  /** where a simulator finds the logins it needs (e.g. GATEWAY_SIM_MQTT_PASSWORD) */
  env: NodeJS.ProcessEnv;
  /** the site-wide what-if switches (power failure, ...) every simulated device reacts to */
  scenarios(): ScenarioState;
  /** which locations' simulated cooling units cool (CRAC models report, rack sensors follow) */
  cooling?: SiteCooling;
}

export interface RunningSimulation {
  /** The scenario switches changed: show their effect now rather than at the next tick. */
  scenariosChanged?(): void;
  stop(): Promise<void>;
}

export interface DriverModule<D extends LoadedDevice = LoadedDevice, S = unknown> {
  /** what a device writes in `driver:` */
  name: D['driver'];
  /** the YAML shape of its devices, profiles and points (keep it zod-only: every module loads it) */
  config: DriverConfigPlugin<D>;
  /** true when the module must start even without devices (the embedded MQTT broker) */
  startsWithoutDevices?(site: S): boolean;
  /**
   * Starts what the devices share (links, a broker, a PKI) and returns a driver per device. Runs
   * before the web page is up, so a library slow to load may wait for the drivers' first connect
   * (the sampler connects after the page answers; see drivers/opcua/loading-driver.ts).
   */
  start(devices: readonly D[], ctx: DriverStartContext<S>): Promise<StartedDrivers>;
  /** Simulated equipment answering at the addresses the devices' connections name. */
  simulate?(devices: readonly D[], ctx: SimulationContext<S>): Promise<RunningSimulation>;
}
