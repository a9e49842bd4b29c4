/**
 * The OPC UA part of a simulated site: one server per endpoint the config's OPC UA devices name,
 * each serving the cooling plant (Objects/Cooling/CRAC-3, Chiller-1) and any other configured
 * point, with values moving every tick. Scenario state is read through `scenarios`, so one switch
 * (the Modbus simulator's control server) drives both simulators without either importing the
 * other.
 */
import { join } from 'node:path';
import { type Logger, silentLogger } from '../../../core/logger.js';
import type { OpcuaDeviceSettings } from '../point.js';
import { buildCoolingModel, type CoolingModel, type ScenarioState } from './cooling-model.js';
import { type ConfiguredPoints, serveConfiguredPoints } from './configured-points.js';
import { type RunningOpcuaServer, startOpcuaServer } from './server.js';

export interface OpcuaSiteOptions {
  /** certificates of the simulated servers (one folder per endpoint below it) */
  pkiDir: string;
  /** read at every tick (default: no scenario active) */
  scenarios?: () => ScenarioState;
  /** value update period (default 1000 ms) */
  tickMs?: number;
  /** listen address instead of each endpoint's host */
  host?: string;
  logger?: Logger;
}

export interface OpcuaSiteEndpoint {
  endpoint: string;
  deviceIds: string[];
  sessionCount(): number;
}

export interface OpcuaSimulatedSite {
  endpoints: OpcuaSiteEndpoint[];
  /** moves every value to now (also runs every tickMs); call after a scenario switch */
  tick(): void;
  stop(): Promise<void>;
}

export interface ParsedEndpoint {
  host: string;
  port: number;
  path: string;
}

/** `opc.tcp://host:port/path` → its parts (port 4840 when not given). */
export function parseEndpoint(endpoint: string): ParsedEndpoint {
  const m = /^opc\.tcp:\/\/(\[[^\]]+\]|[^/:]+)(?::(\d+))?(\/.*)?$/.exec(endpoint);
  if (!m) throw new RangeError(`not an OPC UA endpoint: ${endpoint}`);
  return { host: m[1]!, port: m[2] ? Number(m[2]) : 4840, path: m[3] ?? '' };
}

export async function startOpcuaSimulatedSite(
  devices: readonly Pick<OpcuaDeviceSettings, 'id' | 'connection' | 'points'>[],
  opts: OpcuaSiteOptions,
): Promise<OpcuaSimulatedSite> {
  const logger = opts.logger ?? silentLogger;
  const scenarios = opts.scenarios ?? (() => ({}));
  const byPort = new Map<number, { path: string; host: string; devices: (typeof devices)[number][] }>();
  for (const device of devices) {
    const { host, port, path } = parseEndpoint(device.connection.endpoint);
    const group = byPort.get(port);
    if (group && group.path !== path) {
      throw new RangeError(`device "${device.id}": port ${port} is already simulated with path "${group.path}"`);
    }
    if (group) group.devices.push(device);
    else byPort.set(port, { path, host: opts.host ?? host, devices: [device] });
  }

  const servers: RunningOpcuaServer[] = [];
  const models: Array<{ cooling: CoolingModel; extra: ConfiguredPoints }> = [];
  const endpoints: OpcuaSiteEndpoint[] = [];
  let timer: NodeJS.Timeout | undefined;
  const stop = async () => {
    clearInterval(timer);
    for (const s of servers.splice(0).reverse()) await s.stop();
  };
  try {
    for (const [port, group] of byPort) {
      const users: Record<string, string> = {};
      for (const d of group.devices) {
        if (d.connection.username) users[d.connection.username] = d.connection.password?.reveal() ?? '';
      }
      const anyAnonymous = group.devices.some((d) => !d.connection.username);
      let built: { cooling: CoolingModel; extra: ConfiguredPoints } | undefined;
      const server = await startOpcuaServer({
        port,
        host: group.host,
        resourcePath: group.path,
        pkiDir: join(opts.pkiDir, `port-${port}`),
        ...(Object.keys(users).length > 0 ? { users, allowAnonymous: anyAnonymous } : {}),
        build: ({ namespace, objects }) => {
          const cooling = buildCoolingModel(namespace, objects);
          built = { cooling, extra: serveConfiguredPoints(namespace, objects, group.devices) };
        },
      });
      servers.push(server);
      models.push(built!);
      if (built!.extra.skipped.length > 0) {
        logger.warn('some configured OPC UA points cannot be simulated', { points: built!.extra.skipped.slice(0, 10).join(', ') });
      }
      endpoints.push({ endpoint: server.endpoint, deviceIds: group.devices.map((d) => d.id), sessionCount: server.sessionCount });
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const tick = () => {
    const now = Date.now();
    const state = scenarios();
    for (const m of models) {
      try {
        m.cooling.update(now, state);
        m.extra.update(now);
      } catch (err) {
        logger.warn('simulated OPC UA update failed', { err });
      }
    }
  };
  tick();
  timer = setInterval(tick, opts.tickMs ?? 1000);
  timer.unref();
  return { endpoints, tick, stop };
}
