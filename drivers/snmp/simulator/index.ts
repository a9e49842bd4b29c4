/**
 * Simulated SNMP equipment: one net-snmp agent per distinct host:port of the SNMP devices of a
 * config, answering each device's point OIDs (and the system group, and table label columns) with
 * values from a per-kind model (models/), encoded back through each point's scale, enum and
 * trueValues so the gateway reads the model's values. Scenario `power-failure` moves the UPS
 * models and sends the matching traps to the gateway's trap receiver.
 */
import { isIP } from 'node:net';
import { type Logger, silentLogger } from '../../../core/logger.js';
import { initialScenarios, type ScenarioState } from '../../../core/scenarios.js';
import type { SnmpDeviceConfig, SnmpV3Auth } from '../device.js';
import { type AgentCell, type SimulatedAgent, startAgent } from './agent.js';
import { type Cell, cellsOf, encodeCell, type RawValue } from './encode.js';
import { createModel } from './models/registry.js';
import type { DeviceModel } from './models/types.js';
import { createRng, deriveSeed } from '../../../core/sim-random.js';
import { createTrapSender, type TrapTarget, trapsFor } from './traps.js';

export type { TrapTarget } from './traps.js';

export interface SnmpSimulatorOptions {
  /** the site-wide scenario switches (default: all off) */
  scenarios?: () => ScenarioState;
  logger?: Logger;
  /** where traps go (the gateway's snmpTraps receiver); no traps when absent */
  trapTarget?: TrapTarget;
  /** value update period (default 1000 ms) */
  tickMs?: number;
  /** clock for the models (default Date.now); tests pass a fake one and call tick() */
  now?: () => number;
  /** seed for every model's randomness (default 1) */
  seed?: number;
}

export interface SnmpEndpoint {
  host: string;
  port: number;
  deviceIds: string[];
}

export interface SnmpSimulator {
  endpoints: SnmpEndpoint[];
  /** moves every device to now and sends the traps of a scenario that switched (also every tickMs) */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

const SYS_DESCR = '1.3.6.1.2.1.1.1.0';
const SYS_OBJECT_ID = '1.3.6.1.2.1.1.2.0';
const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
const SYS_NAME = '1.3.6.1.2.1.1.5.0';
/** the IANA example enterprise: a sysObjectID no real product uses */
const UNKNOWN_PRODUCT = '1.3.6.1.4.1.32473.161';
const UPS_MIB = '1.3.6.1.2.1.33';

interface Served {
  device: SnmpDeviceConfig;
  model: DeviceModel;
  cells: Cell[];
  agent: SimulatedAgent;
}

export async function startSnmpSimulator(devices: readonly SnmpDeviceConfig[], opts: SnmpSimulatorOptions = {}): Promise<SnmpSimulator> {
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? Date.now;
  const seed = opts.seed ?? 1;
  const off = initialScenarios();
  const scenarios = opts.scenarios ?? (() => off);
  const startedAt = now();
  const served: Served[] = [];
  const agents: SimulatedAgent[] = [];
  const endpoints: SnmpEndpoint[] = [];
  const sender = opts.trapTarget ? createTrapSender(opts.trapTarget, logger) : undefined;
  let timer: NodeJS.Timeout | undefined;

  const stop = async () => {
    clearInterval(timer);
    sender?.close();
    for (const agent of agents.splice(0)) await agent.close();
  };

  try {
    for (const [where, group] of groupByAddress(devices)) {
      const first = group[0]!;
      const models = group.map((device) => createModel(device, createRng(deriveSeed(seed, device.id))));
      const at = now();
      const samples = models.map((m) => m.update(at, scenarios()));
      const cellSets = group.map((device, i) => cellsOf(device.points, samples[i]!));
      // system group first: a point on a system OID replaces the generated one
      const agentCells: AgentCell[] = [...systemCells(first, at - startedAt)];
      group.forEach((device, i) => {
        for (const cell of cellSets[i]!) agentCells.push({ oid: cell.oid, type: cell.type, row: rowOf(cell), value: encodeCell(cell, samples[i]!) });
        agentCells.push(...labelCells(device));
      });
      const agent = await startAgent({
        host: first.connection.host,
        port: first.connection.port,
        communities: [...new Set(group.flatMap((d) => (d.connection.community ? [d.connection.community.reveal()] : [])))],
        users: uniqueUsers(group.flatMap((d) => (d.connection.v3 ? [d.connection.v3] : []))),
        cells: dedupeLastWins(agentCells),
        logger,
      });
      agents.push(agent);
      endpoints.push({ host: agent.host, port: agent.port, deviceIds: group.map((d) => d.id) });
      group.forEach((device, i) => {
        served.push({ device, model: models[i]!, cells: cellSets[i]!, agent });
      });
      logger.debug('simulated snmp agent listening', { at: where, devices: group.map((d) => d.id).join(',') });
    }
  } catch (err) {
    await stop();
    throw err;
  }

  let onBattery = scenarios()['power-failure'];
  const tick = async () => {
    const at = now();
    const state = scenarios();
    for (const agent of agents) agent.set(SYS_UPTIME, Math.floor((at - startedAt) / 10));
    const encoded = new Map<Served, Array<Cell & { value: RawValue }>>();
    for (const s of served) {
      try {
        const values = s.model.update(at, state);
        const cells = s.cells.map((cell) => ({ ...cell, value: encodeCell(cell, values) }));
        for (const cell of cells) s.agent.set(cell.oid, cell.value);
        encoded.set(s, cells);
      } catch (err) {
        logger.warn('simulated snmp device update failed', { device: s.device.id, err });
      }
    }
    if (state['power-failure'] === onBattery) return;
    onBattery = state['power-failure'];
    if (!sender) return;
    for (const s of served) {
      const from = s.device.connection.trapSource;
      for (const rule of trapsFor(s.device, onBattery)) await sender.send(rule, encoded.get(s) ?? [], from && isIP(from) ? from : undefined);
    }
  };

  timer = setInterval(() => void tick(), opts.tickMs ?? 1000);
  timer.unref();
  return { endpoints, tick, stop };
}

function groupByAddress(devices: readonly SnmpDeviceConfig[]): Map<string, SnmpDeviceConfig[]> {
  const groups = new Map<string, SnmpDeviceConfig[]>();
  for (const d of devices) {
    const where = `${d.connection.host}:${d.connection.port}`;
    groups.set(where, [...(groups.get(where) ?? []), d]);
  }
  return groups;
}

/** The row index of a table cell (undefined for a scalar `….0`). */
function rowOf(cell: Cell): string | undefined {
  const row = cell.points.find((p) => p.table)?.table?.row;
  if (row !== undefined && cell.oid.endsWith(`.${row}`)) return row;
  if (row === undefined && cell.oid.endsWith('.0')) return undefined;
  // a cell named by `oid:` alone, or a template index like "{row}.1" (the row is not the whole
  // index): served as a one-arc index under the rest, which answers the same OID
  return cell.oid.slice(cell.oid.lastIndexOf('.') + 1);
}

/**
 * sysDescr, sysObjectID, sysUpTime, sysName: what `gateway identify` reads first; and for a UPS-MIB
 * device upsIdentManufacturer/Model, which tell identify the agent speaks UPS-MIB.
 */
function systemCells(device: SnmpDeviceConfig, uptimeMs: number): AgentCell[] {
  // a generic profile's vendor ("any") names no product
  const vendor = device.vendor && device.vendor !== 'any' ? device.vendor : undefined;
  const product = [vendor, device.model].filter(Boolean).join(' ') || device.name;
  const cells: AgentCell[] = [
    { oid: SYS_DESCR, type: 'string', value: `${product} (simulated by the gateway)` },
    { oid: SYS_OBJECT_ID, type: 'oid', value: device.sysObjectID?.[0] ?? UNKNOWN_PRODUCT },
    { oid: SYS_UPTIME, type: 'timeticks', value: Math.floor(uptimeMs / 10) },
    { oid: SYS_NAME, type: 'string', value: device.id },
  ];
  if (device.points.some((p) => p.oid.startsWith(`${UPS_MIB}.`))) {
    cells.push({ oid: `${UPS_MIB}.1.1.1.0`, type: 'string', value: vendor ?? 'Gateway simulator' });
    cells.push({ oid: `${UPS_MIB}.1.1.2.0`, type: 'string', value: 'SIM-UPS 10kVA' });
  }
  return cells;
}

/** A table's name column (labelOid), so `gateway identify` can read row names. */
function labelCells(device: SnmpDeviceConfig): AgentCell[] {
  return Object.entries(device.tables).flatMap(([id, table]) =>
    table.labelOid === undefined
      ? []
      : table.rows.map((row) => ({ oid: `${table.labelOid}.${row}`, type: 'string' as const, row, value: table.labels[row] ?? `${id}-${row}` })),
  );
}

function dedupeLastWins(cells: AgentCell[]): AgentCell[] {
  return [...new Map(cells.map((c) => [c.oid, c])).values()];
}

function uniqueUsers(users: SnmpV3Auth[]): SnmpV3Auth[] {
  return [...new Map(users.map((u) => [u.user, u])).values()];
}
