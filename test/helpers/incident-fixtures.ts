/**
 * A hand-built site topology and alarm records for the incident tests (engine and API).
 */
import type { AlarmRecord, Severity } from '../../gateway/alarms/types.js';
import type { Topology, TopologyNode } from '../../gateway/topology/types.js';

/** utility-a → ups1 → pdu-a1, pdu-a2 → (nothing); ups2 → crac1, pdu-b1; hall-a: pdu-a1, pdu-a2, racks-a; crac1 cools hall-a */
export function handTopology(): Topology {
  const node = (id: string, kind: TopologyNode['kind'], fedBy: string[] = [], extra: Partial<TopologyNode> = {}): TopologyNode => ({
    id, kind, name: id, fedBy, cools: [], contains: [], ...extra,
  });
  const list = [
    node('utility-a', 'feed'),
    node('ups1', 'device', ['utility-a']),
    node('ups2', 'device', ['utility-a']),
    node('pdu-a1', 'device', ['ups1']),
    node('pdu-a2', 'device', ['ups1']),
    node('pdu-b1', 'device', ['ups2']),
    node('crac1', 'device', ['ups2'], { cools: ['hall-a'] }),
    node('racks-a', 'device'),
    node('hall-a', 'zone', [], { contains: ['pdu-a1', 'pdu-a2', 'racks-a'] }),
  ];
  const nodes = new Map(list.map((n) => [n.id, n]));
  const upstreamOf = (id: string): string[] => {
    const out: string[] = [];
    let frontier = [...(nodes.get(id)?.fedBy ?? [])];
    while (frontier.length > 0) {
      out.push(...frontier.filter((f) => !out.includes(f)));
      frontier = frontier.flatMap((f) => nodes.get(f)?.fedBy ?? []);
    }
    return out;
  };
  const downstreamOf = (id: string) => list.filter((n) => upstreamOf(n.id).includes(id)).map((n) => n.id);
  const inZone = (zone: string) => [...(nodes.get(zone)?.contains ?? [])];
  const zonesOf = (id: string) => list.filter((n) => n.kind === 'zone' && (n.contains.includes(id) || nodes.get(id)?.cools.includes(n.id))).map((n) => n.id);
  return { nodes, upstreamOf, downstreamOf, inZone, zonesOf, linkedDevices: (id) => [...upstreamOf(id), ...downstreamOf(id)] };
}

export function alarmRecord(id: string, severity: Severity, active: boolean, at: number): AlarmRecord {
  const device = id.split('.')[0]!;
  return {
    id, rule: id, type: 'discrete', level: null, point: `${device}.x`, device, severity, state: active ? 'unack' : 'rtn-unack', active,
    value: active, unit: null, message: id, raisedAt: at, returnedAt: active ? null : at, ackedAt: null, ackedBy: null, ackComment: null,
    shelvedAt: null, shelvedBy: null, shelvedUntil: null, shelveComment: null, chattering: false, changedAt: at,
  };
}

