/**
 * Builds the site topology (types.ts) from the `topology:` entries of the site file and checks it:
 * every id named must exist, ids are unique, and neither the power chain (fedBy) nor containment
 * (contains) may loop, since every walk over them (symptom grouping, snapshots) must end.
 * Devices without an entry are nodes of their own with no links.
 */
import type { Topology, TopologyNode } from './types.js';

/** A named node of its own: a utility feed, a zone (hall, row), or a group of things. */
export interface TopologyNodeEntry {
  id: string;
  kind: 'feed' | 'zone' | 'group';
  name: string;
  fedBy?: string[];
  contains?: string[];
}

/** Links of a device of the site (by device id). */
export interface TopologyDeviceEntry {
  device: string;
  fedBy?: string[];
  cools?: string[];
}

export type TopologyEntry = TopologyNodeEntry | TopologyDeviceEntry;

/** A problem with one entry: its index in the list and the field path inside it. */
export interface TopologyProblem {
  entry: number;
  path: (string | number)[];
  message: string;
}

export type TopologyDevice = string | { id: string; name?: string };

export function isDeviceEntry(entry: TopologyEntry): entry is TopologyDeviceEntry {
  return 'device' in entry;
}

/** The topology, or every problem found (never only the first). */
export function buildTopology(
  entries: readonly TopologyEntry[],
  devices: Iterable<TopologyDevice>,
): { topology?: Topology; problems: TopologyProblem[] } {
  const problems: TopologyProblem[] = [];
  const nodes = new Map<string, TopologyNode>();
  for (const d of devices) {
    const id = typeof d === 'string' ? d : d.id;
    const name = typeof d === 'string' ? d : (d.name ?? d.id);
    nodes.set(id, { id, kind: 'device', name, fedBy: [], cools: [], contains: [] });
  }
  const deviceIds = new Set(nodes.keys());
  // Where each node's links were written, to locate loop problems.
  const entryOf = new Map<string, number>();

  entries.forEach((entry, i) => {
    if (isDeviceEntry(entry)) {
      if (!deviceIds.has(entry.device)) {
        problems.push({ entry: i, path: ['device'], message: `no device "${entry.device}" in devices:` });
        return;
      }
      const first = entryOf.get(entry.device);
      if (first !== undefined) {
        problems.push({ entry: i, path: ['device'], message: `device "${entry.device}" has another entry (topology[${first}])` });
        return;
      }
      entryOf.set(entry.device, i);
      const node = nodes.get(entry.device)!;
      nodes.set(entry.device, { ...node, fedBy: entry.fedBy ?? [], cools: entry.cools ?? [] });
      return;
    }
    if (deviceIds.has(entry.id)) {
      problems.push({ entry: i, path: ['id'], message: `id "${entry.id}" is a device's id (link a device with { device: ${entry.id}, ... })` });
      return;
    }
    const first = entryOf.get(entry.id);
    if (first !== undefined) {
      problems.push({ entry: i, path: ['id'], message: `duplicate id "${entry.id}" (also topology[${first}])` });
      return;
    }
    entryOf.set(entry.id, i);
    nodes.set(entry.id, { id: entry.id, kind: entry.kind, name: entry.name, fedBy: entry.fedBy ?? [], cools: [], contains: entry.contains ?? [] });
  });

  // References: every id named must be a node; cools must name zones.
  for (const [id, i] of entryOf) {
    const node = nodes.get(id)!;
    const check = (field: 'fedBy' | 'cools' | 'contains') =>
      node[field].forEach((ref, j) => {
        const target = nodes.get(ref);
        if (!target) problems.push({ entry: i, path: [field, j], message: `unknown id "${ref}" (not a device or a topology node)` });
        else if (ref === id) problems.push({ entry: i, path: [field, j], message: `"${id}" names itself` });
        else if (field === 'cools' && target.kind !== 'zone') problems.push({ entry: i, path: [field, j], message: `"${ref}" is a ${target.kind}, not a zone` });
        else if (field === 'fedBy' && target.kind === 'zone') problems.push({ entry: i, path: [field, j], message: `"${ref}" is a zone; a zone feeds nothing` });
      });
    check('fedBy');
    check('cools');
    check('contains');
  }
  if (problems.length > 0) return { problems };

  // Loops: one problem per loop, at the entry where the walk closed it.
  for (const [field, word] of [['fedBy', 'feeds'], ['contains', 'contains']] as const) {
    for (const cycle of findCycles(nodes, (n) => n[field])) {
      const at = cycle[cycle.length - 2]!;
      const j = nodes.get(at)![field].indexOf(cycle[cycle.length - 1]!);
      const chain = field === 'fedBy' ? [...cycle].reverse() : cycle;
      problems.push({ entry: entryOf.get(at)!, path: [field, j], message: `loop: ${chain.join(` ${word} `)}` });
    }
  }
  if (problems.length > 0) return { problems };
  return { topology: topologyOf(nodes), problems };
}

/** Each loop of the graph once, as the ids walked from where it was entered back to it. */
function findCycles(nodes: ReadonlyMap<string, TopologyNode>, next: (n: TopologyNode) => readonly string[]): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (id: string) => {
    state.set(id, 'open');
    stack.push(id);
    for (const to of next(nodes.get(id)!)) {
      const s = state.get(to);
      if (s === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to]);
      else if (s === undefined) visit(to);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of nodes.keys()) if (!state.has(id)) visit(id);
  return cycles;
}

/** Breadth-first walk from `start` (not included): nearest first, each id once. */
function walk(start: string, next: (id: string) => readonly string[]): string[] {
  const seen = new Set([start]);
  const out: string[] = [];
  let frontier = [start];
  while (frontier.length > 0) {
    const after: string[] = [];
    for (const id of frontier)
      for (const to of next(id))
        if (!seen.has(to)) {
          seen.add(to);
          out.push(to);
          after.push(to);
        }
    frontier = after;
  }
  return out;
}

/** The query side over checked nodes (no loops, every reference known). */
export function topologyOf(nodes: ReadonlyMap<string, TopologyNode>): Topology {
  const feeds = new Map<string, string[]>();
  const containers = new Map<string, string[]>();
  const coolers = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, key: string, value: string) => map.set(key, [...(map.get(key) ?? []), value]);
  for (const n of nodes.values()) {
    for (const up of n.fedBy) add(feeds, up, n.id);
    for (const inner of n.contains) add(containers, inner, n.id);
    for (const zone of n.cools) add(coolers, zone, n.id);
  }
  const isDevice = (id: string) => nodes.get(id)?.kind === 'device';
  const upstreamOf = (id: string) => walk(id, (x) => nodes.get(x)?.fedBy ?? []);
  const downstreamOf = (id: string) => walk(id, (x) => feeds.get(x) ?? []);
  const zonesOf = (id: string) => {
    const around = walk(id, (x) => containers.get(x) ?? []).filter((x) => nodes.get(x)!.kind === 'zone');
    return [...new Set([...around, ...(nodes.get(id)?.cools ?? [])])];
  };
  const inZone = (zoneId: string) => {
    const kind = nodes.get(zoneId)?.kind;
    if (kind !== 'zone' && kind !== 'group') return [];
    return walk(zoneId, (x) => nodes.get(x)?.contains ?? []).filter(isDevice);
  };
  // Feeders, what it feeds, and its zones' devices and coolers: what a snapshot of it shows.
  const linkedDevices = (id: string) => {
    if (!nodes.has(id)) return [];
    const zones = nodes.get(id)!.kind === 'device' ? zonesOf(id) : [id, ...zonesOf(id)];
    const linked = [...upstreamOf(id), ...downstreamOf(id), ...zones.flatMap((z) => [...inZone(z), ...(coolers.get(z) ?? [])])];
    return [...new Set(linked)].filter((x) => x !== id && isDevice(x));
  };
  return { nodes, upstreamOf, downstreamOf, zonesOf, inZone, linkedDevices };
}
