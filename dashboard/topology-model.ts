/**
 * The topology as the page and GET /api/v1/topology show it: every node with its links and its
 * live state (worst active alarm; for a device also its comm state), and the columns of the two
 * chains the page draws: power (feed → UPS → PDU → zone) and cooling (CRAC/chiller → zone).
 */
import type { CommState } from '../core/device-status.js';
import type { Severity } from '../gateway/alarms/types.js';
import type { Topology, TopologyNode } from '../gateway/topology/types.js';
import type { DashboardDeps } from './deps.js';
import { activeAlarms, deviceOfAlarm, severityRank } from './overview-model.js';

export interface TopologyNodeView {
  id: string;
  kind: TopologyNode['kind'];
  name: string;
  /** the device's kind (ups, pdu, hvac, ...); null for feeds, zones and groups */
  deviceKind: string | null;
  fedBy: readonly string[];
  cools: readonly string[];
  contains: readonly string[];
  /** worst active alarm: the device's own, or for a zone or group the worst of the devices in it */
  severity: Severity | null;
  /** the sampler's comm state of a device; null for the other kinds */
  comm: CommState | null;
}

export interface TopologyView {
  nodes: TopologyNodeView[];
  /** node ids by column, feeds first; zones (and groups) that power reaches are the last column */
  power: string[][];
  /** coolers, then the zones they cool */
  cooling: string[][];
  /** devices with no link at all */
  unlinked: string[];
}

type Deps = Pick<DashboardDeps, 'catalog' | 'alarms' | 'deviceStatus'>;

export function buildTopologyView(deps: Deps, topology: Topology): TopologyView {
  const worst = new Map<string, Severity>();
  for (const a of activeAlarms(deps) ?? []) {
    const device = deviceOfAlarm(a);
    if (!device || !a.active) continue;
    const known = worst.get(device);
    if (!known || severityRank(a.severity) < severityRank(known)) worst.set(device, a.severity);
  }
  const worstOf = (ids: readonly string[]) =>
    ids.reduce<Severity | null>((w, id) => {
      const s = worst.get(id);
      return s && (!w || severityRank(s) < severityRank(w)) ? s : w;
    }, null);
  const comm = new Map(deps.deviceStatus().map((s) => [s.deviceId, s.state]));

  const nodes = [...topology.nodes.values()].map((n): TopologyNodeView => {
    const device = n.kind === 'device' ? deps.catalog.device(n.id) : undefined;
    return {
      id: n.id,
      kind: n.kind,
      name: device?.name ?? n.name,
      deviceKind: device?.kind ?? null,
      fedBy: n.fedBy,
      cools: n.cools,
      contains: n.contains,
      severity: n.kind === 'device' ? (worst.get(n.id) ?? null) : n.kind === 'feed' ? null : worstOf(topology.inZone(n.id)),
      comm: n.kind === 'device' ? (comm.get(n.id) ?? 'connecting') : null,
    };
  });
  return { nodes, ...chains(topology) };
}

/** Column layout: a node's power column is the length of its longest feed path. */
function chains(topology: Topology): Pick<TopologyView, 'power' | 'cooling' | 'unlinked'> {
  const all = [...topology.nodes.values()];
  const feeds = new Set(all.flatMap((n) => n.fedBy));
  const places = (n: TopologyNode) => n.kind === 'zone' || n.kind === 'group';
  const inPower = all.filter((n) => !places(n) && (n.fedBy.length > 0 || feeds.has(n.id)));
  const depth = new Map<string, number>();
  // topology.ts rejects loops, so this recursion ends
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const d = Math.max(-1, ...topology.nodes.get(id)!.fedBy.map(depthOf)) + 1;
    depth.set(id, d);
    return d;
  };
  const power: string[][] = [];
  for (const n of inPower) {
    const d = depthOf(n.id);
    power[d] = [...(power[d] ?? []), n.id];
  }
  const poweredZones = all.filter((n) => places(n) && topology.inZone(n.id).some((d) => depth.has(d)));
  // a node's feeder is one column to its left, so no column is empty
  const columns = [...power];
  if (poweredZones.length > 0) columns.push(poweredZones.map((n) => n.id));

  const coolers = all.filter((n) => n.cools.length > 0);
  const cooled = [...new Set(coolers.flatMap((n) => n.cools))];
  const cooling = coolers.length > 0 ? [coolers.map((n) => n.id), cooled] : [];

  const linked = new Set([...columns.flat(), ...cooling.flat(), ...all.filter(places).flatMap((n) => [n.id, ...topology.inZone(n.id)])]);
  const unlinked = all.filter((n) => !linked.has(n.id)).map((n) => n.id);
  return { power: columns, cooling, unlinked };
}
