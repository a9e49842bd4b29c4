/**
 * Walks a server's address space below a start node and collects its variables with data type,
 * engineering unit and current value, for `gateway browse`. One batched Browse per tree level and
 * one batched Read for all attributes, so a large server is listed in a few round trips.
 */
import { AttributeIds, coerceNodeId, DataType, type NodeId, NodeClass, ObjectIds, type ReferenceDescription } from 'node-opcua';
import type { OpcuaSession } from './client.js';
import { variantValue } from './data-value.js';
import { parseBrowsePath } from './node-address.js';
import type { PointValue } from '../../core/types.js';

export interface BrowsedNode {
  nodeId: string;
  /** `ns:Name` segments from the start node, as a point's browsePath takes them */
  path: string[];
  browseName: string;
  displayName: string;
  nodeClass: 'Object' | 'Variable';
  description?: string;
  dataType?: string;
  unit?: string;
  value?: PointValue;
  children: BrowsedNode[];
}

export interface BrowseOptions {
  /** browse path from Objects to start at (default: Objects itself) */
  root?: string;
  /** levels below the start (default 8) */
  maxDepth?: number;
  /** stop after this many nodes (default 5000) */
  maxNodes?: number;
}

const HAS_PROPERTY = 46;
/** The Server object describes the server itself, not equipment: left out unless asked for. */
const SERVER_OBJECT = 2253;

function label(ref: ReferenceDescription): string {
  return ref.displayName?.text ?? ref.browseName.name ?? '';
}

function dataTypeName(id: NodeId | undefined): string | undefined {
  if (!id) return undefined;
  if (id.namespace === 0 && typeof id.value === 'number' && DataType[id.value] !== undefined) return DataType[id.value];
  return id.toString();
}

async function findRoot(session: OpcuaSession, root: string | undefined, signal: AbortSignal): Promise<NodeId> {
  let at = coerceNodeId(ObjectIds.ObjectsFolder);
  if (!root) return at;
  const segments = parseBrowsePath(root);
  if (typeof segments === 'string') throw new RangeError(`--root "${root}" ${segments}`);
  for (const segment of segments) {
    const [refs] = await session.browse([at], signal);
    const next = (refs ?? []).find(
      (r) => r.browseName.name === segment.name && (segment.namespace === undefined || r.browseName.namespaceIndex === segment.namespace),
    );
    if (!next) throw new RangeError(`--root "${root}": no "${segment.name}" below ${at.toString()}`);
    at = next.nodeId as unknown as NodeId;
  }
  return at;
}

export async function browseTree(session: OpcuaSession, options: BrowseOptions, signal: AbortSignal): Promise<BrowsedNode[]> {
  const maxDepth = options.maxDepth ?? 8;
  const maxNodes = options.maxNodes ?? 5000;
  const start = await findRoot(session, options.root, signal);
  const top: BrowsedNode[] = [];
  const variables: BrowsedNode[] = [];
  const unitProperty = new Map<BrowsedNode, NodeId>();
  const seen = new Set<string>([start.toString()]);
  let level: Array<{ id: NodeId; node?: BrowsedNode }> = [{ id: start }];
  let count = 0;
  for (let depth = 0; depth <= maxDepth && level.length > 0 && count < maxNodes; depth++) {
    const results = await session.browse(
      level.map((l) => l.id),
      signal,
    );
    const next: typeof level = [];
    level.forEach((parent, i) => {
      for (const ref of results[i] ?? []) {
        const id = ref.nodeId as unknown as NodeId;
        const key = id.toString();
        if (ref.nodeClass === NodeClass.Variable && ref.referenceTypeId.value === HAS_PROPERTY) {
          // EngineeringUnits of an analog item: read below, shown as the variable's unit
          if (parent.node && ref.browseName.name === 'EngineeringUnits') unitProperty.set(parent.node, id);
          continue;
        }
        if (ref.nodeClass !== NodeClass.Object && ref.nodeClass !== NodeClass.Variable) continue;
        if (seen.has(key) || (id.namespace === 0 && id.value === SERVER_OBJECT && !options.root)) continue;
        seen.add(key);
        if (++count > maxNodes) break;
        const segment = ref.browseName.namespaceIndex === 0 ? ref.browseName.name! : `${ref.browseName.namespaceIndex}:${ref.browseName.name}`;
        const node: BrowsedNode = {
          nodeId: key,
          path: [...(parent.node?.path ?? []), segment],
          browseName: ref.browseName.name ?? '',
          displayName: label(ref),
          nodeClass: ref.nodeClass === NodeClass.Variable ? 'Variable' : 'Object',
          children: [],
        };
        (parent.node?.children ?? top).push(node);
        if (node.nodeClass === 'Variable') variables.push(node);
        next.push({ id, node });
      }
    });
    level = next;
  }

  const reads = variables.flatMap((v) => [
    { nodeId: coerceNodeId(v.nodeId), attributeId: AttributeIds.DataType },
    { nodeId: coerceNodeId(v.nodeId), attributeId: AttributeIds.Value },
    { nodeId: coerceNodeId(v.nodeId), attributeId: AttributeIds.Description },
  ]);
  const units = [...unitProperty.entries()];
  const values = await session.read([...reads, ...units.map(([, id]) => ({ nodeId: id }))], signal);
  variables.forEach((v, i) => {
    const [type, value, description] = [values[3 * i], values[3 * i + 1], values[3 * i + 2]];
    const dataType = dataTypeName(type?.value.value as NodeId | undefined);
    if (dataType) v.dataType = dataType;
    if (value?.statusCode.isGood()) {
      const shown = variantValue(value.value);
      if (shown !== undefined) v.value = shown;
    }
    const text = (description?.value.value as { text?: string | null } | null)?.text;
    if (text) v.description = text;
  });
  units.forEach(([node], k) => {
    const eu = values[reads.length + k]?.value.value as { displayName?: { text?: string | null } } | null;
    const text = eu?.displayName?.text;
    if (text) node.unit = text;
  });
  return top;
}
