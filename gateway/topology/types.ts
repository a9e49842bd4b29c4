/**
 * The site topology (issue 15): what feeds what (power chain: feed → UPS → PDU → zone) and what
 * cools where (CRAC/chiller → zone), from the site file's `topology:` section. Nodes are devices
 * (by device id) or named things of their own (feeds, zones, groups). Read by the incident engine
 * (symptom grouping, downstreamOf / inZone conditions), snapshots (linked devices), and the page.
 */

export type TopologyNodeKind = 'device' | 'feed' | 'zone' | 'group';

export interface TopologyNode {
  /** a device id, or the node's own id */
  id: string;
  kind: TopologyNodeKind;
  name: string;
  /** direct upstream power sources (node ids) */
  fedBy: readonly string[];
  /** zones this node cools */
  cools: readonly string[];
  /** what a zone or group contains (node or device ids) */
  contains: readonly string[];
}

export interface Topology {
  readonly nodes: ReadonlyMap<string, TopologyNode>;
  /** every node upstream of `id` in the power chain, nearest first */
  upstreamOf(id: string): string[];
  /** every node downstream of `id` in the power chain (what it feeds, transitively) */
  downstreamOf(id: string): string[];
  /** the zones `id` is in (directly or through a group), and the zones it cools */
  zonesOf(id: string): string[];
  /** every device in a zone or group, transitively */
  inZone(zoneId: string): string[];
  /** devices linked to `id`: feeders, what it feeds, its zones' devices (for snapshots) */
  linkedDevices(id: string): string[];
}
