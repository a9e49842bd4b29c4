/**
 * A simulated site: every configured Modbus device served by our own fast server, values moved
 * by profile-driven models, scenarios and fault injection for demos, tests and benchmarks.
 * Devices with the same host:port (or serial port) share one server or bus, each its unit id.
 */
import type { ModbusConnection, ModbusDeviceConfig } from '../device.js';
import { type Logger, silentLogger } from '../../../core/logger.js';
import { createDeviceRunner, type DeviceRunner } from './device-runner.js';
import { createModel } from './models/registry.js';
import { createPtyPair, type PtyPair } from './pty-pair.js';
import { createRng, deriveSeed } from '../../../core/sim-random.js';
import { createRegisterBank } from './register-bank.js';
import { initialScenarios, type ScenarioName, type ScenarioState } from '../../../core/scenarios.js';
import type { SiteCooling } from '../../../core/site-cooling.js';
import { startSerialServer } from './serial-server.js';
import { createServerStats, createSimulatedSlave, type ServedSlave, type ServerStats, type SimulatedSlave } from './slave.js';
import { startTcpServer } from './tcp-server.js';

export type SimTransport = ModbusConnection['transport'];

export interface SiteEndpoint {
  transport: SimTransport;
  host?: string;
  port?: number;
  /** rtu: the serial path the gateway opens */
  path?: string;
  unitIds: number[];
  deviceIds: string[];
  stats: Readonly<ServerStats>;
}

export interface SimulatedSite {
  /** endpoints actually listening, e.g. for port 0 */
  endpoints: SiteEndpoint[];
  setScenario(name: ScenarioName, active: boolean): void;
  scenarios(): Record<ScenarioName, boolean>;
  /** fault injection and values by device id */
  slave(deviceId: string): SimulatedSlave;
  /** the device's connection with the port actually listening (for configs that asked for 0) */
  connectionFor(deviceId: string): ModbusConnection;
  /** moves every device to now (also runs every tickMs) */
  tick(): void;
  stop(): Promise<void>;
}

export interface SiteOptions {
  /** value update period (default 1000 ms) */
  tickMs?: number;
  /** seed for every model's randomness (default 1) */
  seed?: number;
  /** listen address for TCP endpoints (default: each device's connection host) */
  host?: string;
  /** see BankOptions.tolerance: holes this small between points read as 0 instead of exception 02 */
  tolerance?: number;
  /**
   * the site-wide scenario switches, when someone else owns them (`gateway simulate`, so every
   * driver's simulator reacts to one switch); default: the site's own, set with setScenario()
   */
  scenarios?: () => ScenarioState;
  /** where cooling units report whether they cool (`gateway simulate` shares it with the MQTT sensors) */
  cooling?: SiteCooling;
  /** clock for the models (default Date.now); tests pass a fake one and call tick() */
  now?: () => number;
  /**
   * RTU devices: serial port the gateway opens → path the simulator opens (the other end of a
   * null-modem cable or pty pair). A port not listed gets a socat pty pair: the gateway's path
   * is linked to one end, `<path>.sim` to the other.
   */
  serialPaths?: Record<string, string>;
  /** RTU: line silence that ends a broken frame (default 50 ms) */
  silenceMs?: number;
  logger?: Logger;
}

/**
 * N+1 equipment on one link: of the devices sharing a bus or gateway with the same profile, the
 * lowest unit id is the duty unit and every other one is simulated as its standby (e.g. the demo's
 * crac1 at unit 3 and crac2 at unit 4). Models that have no standby state ignore it.
 */
export function standbyUnits(devices: readonly ModbusDeviceConfig[]): Set<string> {
  const duty = new Map<string, ModbusDeviceConfig>();
  for (const d of devices) {
    if (!d.profile) continue;
    const first = duty.get(d.profile);
    if (!first || d.connection.unitId < first.connection.unitId) duty.set(d.profile, d);
  }
  return new Set(devices.filter((d) => d.profile && duty.get(d.profile) !== d).map((d) => d.id));
}

interface Group {
  transport: SimTransport;
  host?: string;
  port?: number;
  devices: ModbusDeviceConfig[];
}

export async function startSimulatedSite(devices: ModbusDeviceConfig[], opts: SiteOptions = {}): Promise<SimulatedSite> {
  const logger = opts.logger ?? silentLogger;
  const seed = opts.seed ?? 1;
  const now = opts.now ?? Date.now;
  const scenarioState = initialScenarios();
  const runners = new Map<string, DeviceRunner>();
  const slaves = new Map<string, ServedSlave>();
  const endpoints: SiteEndpoint[] = [];
  const closers: Array<() => Promise<void>> = [];
  const endpointOf = new Map<string, SiteEndpoint>();
  let timer: NodeJS.Timeout | undefined;

  const scenarios = opts.scenarios ?? (() => scenarioState);
  const tick = () => {
    const at = now();
    const state = scenarios();
    for (const runner of runners.values()) {
      try {
        runner.update(at, state);
      } catch (err) {
        logger.warn('simulated device update failed', { device: runner.device.id, err });
      }
    }
  };

  const stop = async () => {
    clearInterval(timer);
    const all = closers.splice(0).reverse();
    for (const close of all) await close();
  };

  try {
    for (const group of groupDevices(devices, opts.host)) {
      const stats = createServerStats();
      const byUnit = new Map<number, ServedSlave>();
      const standby = standbyUnits(group.devices);
      for (const device of group.devices) {
        const bank = createRegisterBank(device.points, { tolerance: opts.tolerance });
        const model = createModel(device, createRng(deriveSeed(seed, device.id)), { standby: standby.has(device.id), cooling: opts.cooling });
        const runner = createDeviceRunner({ device, model, bank, logger });
        const slave = createSimulatedSlave({
          deviceId: device.id,
          unitId: device.connection.unitId,
          bank,
          values: runner,
          stats,
          written: runner.written,
        });
        runners.set(device.id, runner);
        slaves.set(device.id, slave);
        byUnit.set(slave.unitId, slave);
      }
      // What every server of the site takes, whatever it listens on.
      const served = {
        slaves: byUnit,
        stats,
        rng: createRng(deriveSeed(seed, `${group.transport}:${group.host}:${group.port}`)),
        logger,
        silenceMs: opts.silenceMs,
      };
      const base = {
        unitIds: [...byUnit.keys()],
        deviceIds: group.devices.map((d) => d.id),
        stats,
      };
      let endpoint: SiteEndpoint;
      const first = group.devices[0]!.connection;
      if (first.transport === 'rtu') {
        const path = first.serialPort;
        let simPath = opts.serialPaths?.[path];
        if (simPath === undefined) {
          simPath = `${path}.sim`;
          const pair: PtyPair = await createPtyPair(path, simPath);
          closers.push(() => pair.close());
        }
        const server = await startSerialServer({
          path: simPath,
          baudRate: first.baudRate,
          parity: first.parity,
          dataBits: first.dataBits,
          stopBits: first.stopBits,
          ...served,
        });
        closers.push(() => server.close());
        endpoint = { transport: 'rtu', path, ...base };
      } else {
        const server = await startTcpServer({
          framing: group.transport === 'tcp' ? 'mbap' : 'rtu',
          host: group.host!,
          port: group.port!,
          ...served,
        });
        closers.push(() => server.close());
        endpoint = { transport: group.transport, host: server.host, port: server.port, ...base };
      }
      endpoints.push(endpoint);
      for (const id of endpoint.deviceIds) endpointOf.set(id, endpoint);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  tick();
  timer = setInterval(tick, opts.tickMs ?? 1000);
  timer.unref();

  const deviceById = new Map(devices.map((d) => [d.id, d]));
  return {
    endpoints,
    setScenario(name, active) {
      if (opts.scenarios) throw new Error('this site reads its scenario switches from their owner');
      if (!(name in scenarioState)) throw new RangeError(`unknown scenario "${name}"`);
      scenarioState[name] = active;
      // show the effect now rather than at the next tick
      tick();
    },
    scenarios: () => ({ ...scenarios() }),
    slave(deviceId) {
      const slave = slaves.get(deviceId);
      if (!slave) throw new RangeError(`no simulated device "${deviceId}"`);
      return slave;
    },
    connectionFor(deviceId) {
      const device = deviceById.get(deviceId);
      const endpoint = endpointOf.get(deviceId);
      if (!device || !endpoint) throw new RangeError(`no simulated device "${deviceId}"`);
      const conn = device.connection;
      if (conn.transport === 'rtu') return { ...conn };
      return { ...conn, host: endpoint.host!, port: endpoint.port! };
    },
    tick,
    stop,
  };
}

/**
 * One group per server or bus. Devices asking for port 0 share a server unless their unit ids
 * collide, then the next one gets its own (so generated configs with unit id 1 everywhere work).
 */
export function groupDevices(devices: readonly ModbusDeviceConfig[], host?: string): Group[] {
  const groups: Group[] = [];
  const byKey = new Map<string, Group[]>();
  const ids = new Set<string>();
  for (const device of devices) {
    if (ids.has(device.id)) throw new RangeError(`duplicate simulated device id "${device.id}"`);
    ids.add(device.id);
    const conn = device.connection;
    // port 0 means "any free port": one per transport, never a clash between them
    const where =
      conn.transport === 'rtu'
        ? conn.serialPort
        : conn.port === 0
          ? `${conn.transport}://${host ?? conn.host}:0`
          : `${host ?? conn.host}:${conn.port}`;
    const candidates = byKey.get(where) ?? [];
    byKey.set(where, candidates);
    const unitFree = (g: Group) => g.devices.every((d) => d.connection.unitId !== conn.unitId);
    let group = candidates.find(unitFree);
    if (candidates.length > 0 && candidates[0]!.transport !== conn.transport) {
      throw new RangeError(`device "${device.id}": ${where} is already simulated as ${candidates[0]!.transport}`);
    }
    if (!group && candidates.length > 0 && (conn.transport === 'rtu' || conn.port !== 0)) {
      const other = candidates[0]!.devices.find((d) => d.connection.unitId === conn.unitId)!;
      throw new RangeError(`devices "${other.id}" and "${device.id}" both use unit id ${conn.unitId} on ${where}`);
    }
    if (!group) {
      group =
        conn.transport === 'rtu'
          ? { transport: 'rtu', devices: [] }
          : { transport: conn.transport, host: host ?? conn.host, port: conn.port, devices: [] };
      candidates.push(group);
      groups.push(group);
    }
    group.devices.push(device);
  }
  return groups;
}
