/**
 * Serves what a site config asks for beyond the cooling model, so `gateway simulate` works for any
 * OPC UA config (commissioning dry runs, benchmarks): a point whose NodeId (namespace 1) or browse
 * path does not exist yet gets a moving Double variable there.
 */
import { BrowseDirection, DataType, type BaseNode, type Namespace, resolveNodeId, type UAObject, type UAVariable, Variant } from 'node-opcua';
import { parseBrowsePath } from '../node-address.js';
import type { OpcuaDeviceSettings } from '../point.js';
import { createWalk, type Walk } from './walk.js';

export interface ConfiguredPoints {
  /** points that could not be served (another namespace, a path through a variable, ...) */
  readonly skipped: string[];
  readonly count: number;
  update(nowMs: number): void;
}

function childNamed(node: BaseNode, name: string): BaseNode | undefined {
  return node.findReferencesExAsObject('HierarchicalReferences', BrowseDirection.Forward).find((c) => c.browseName.name === name);
}

export function serveConfiguredPoints(
  namespace: Namespace,
  objects: UAObject,
  devices: readonly Pick<OpcuaDeviceSettings, 'id' | 'points'>[],
  random: () => number = Math.random,
): ConfiguredPoints {
  const addressSpace = namespace.addressSpace;
  const moving: Array<{ variable: UAVariable; walk: Walk }> = [];
  const skipped: string[] = [];
  let simulated: UAObject | undefined;
  const folders = new Map<string, UAObject>();
  const deviceFolder = (deviceId: string) => {
    simulated ??= namespace.addFolder(objects, { browseName: 'Simulated' });
    let folder = folders.get(deviceId);
    if (!folder) {
      folder = namespace.addFolder(simulated, { browseName: deviceId });
      folders.set(deviceId, folder);
    }
    return folder;
  };
  const addVariable = (parent: BaseNode, name: string, nodeId?: string) => {
    const variable = namespace.addVariable({
      // the Objects folder itself only organizes; anything below may own components
      ...(parent === objects ? { organizedBy: objects } : { componentOf: parent as UAObject }),
      browseName: name,
      dataType: 'Double',
      minimumSamplingInterval: 0,
      ...(nodeId ? { nodeId } : {}),
    });
    moving.push({ variable, walk: createWalk({ min: 0, max: 100, start: 20 + random() * 60, volatility: 2 }, random) });
  };

  for (const device of devices) {
    for (const point of device.points) {
      if (point.nodeId !== undefined) {
        let id: ReturnType<typeof resolveNodeId>;
        try {
          id = resolveNodeId(point.nodeId);
        } catch {
          skipped.push(`${point.id}: ${point.nodeId}`);
          continue;
        }
        if (addressSpace.findNode(id)) continue;
        if (id.namespace !== namespace.index) {
          skipped.push(`${point.id}: ${point.nodeId} (only namespace ${namespace.index} is simulated)`);
          continue;
        }
        addVariable(deviceFolder(device.id), point.key, point.nodeId.replace(/^ns=\d+;/, ''));
        continue;
      }
      const segments = parseBrowsePath(point.browsePath ?? '');
      if (typeof segments === 'string') continue;
      let node: BaseNode = objects;
      segments.forEach((segment, i) => {
        const last = i === segments.length - 1;
        const existing = childNamed(node, segment.name);
        if (existing) node = existing;
        else if (last) addVariable(node, segment.name);
        else node = namespace.addObject({ organizedBy: node as UAObject, browseName: segment.name });
      });
    }
  }

  return {
    skipped,
    count: moving.length,
    update(nowMs) {
      const at = new Date(nowMs);
      for (const m of moving) {
        m.variable.setValueFromSource(new Variant({ dataType: DataType.Double, value: Math.round(m.walk.step(1000) * 100) / 100 }), undefined, at);
      }
    },
  };
}
