/**
 * Points → NodeIds, once per session. NodeId points are parsed; browse paths are walked from the
 * Objects folder one level at a time, every parent of a level browsed in one batched request, so a
 * device of hundreds of paths costs as many round trips as its deepest path has segments. A
 * segment without a namespace (`CRAC-3`) matches that name in any namespace.
 */
import { coerceNodeId, type NodeId, ObjectIds, type ReferenceDescription } from 'node-opcua';
import type { OpcuaSession } from './client.js';
import { type BrowseSegment, parseBrowsePath } from './node-address.js';
import type { OpcuaPoint } from './point.js';

export type Resolution = { nodeId: NodeId } | { reason: string };

function matches(ref: ReferenceDescription, segment: BrowseSegment): boolean {
  const name = ref.browseName;
  return name.name === segment.name && (segment.namespace === undefined || name.namespaceIndex === segment.namespace);
}

export async function resolvePoints(
  session: Pick<OpcuaSession, 'browse'>,
  points: readonly OpcuaPoint[],
  signal: AbortSignal,
): Promise<Resolution[]> {
  const out: Resolution[] = new Array(points.length);
  const walks: Array<{ index: number; segments: BrowseSegment[]; at: NodeId; depth: number }> = [];
  points.forEach((point, index) => {
    if (point.nodeId !== undefined) {
      try {
        out[index] = { nodeId: coerceNodeId(point.nodeId) };
      } catch {
        out[index] = { reason: 'BadNodeIdInvalid' };
      }
      return;
    }
    const segments = parseBrowsePath(point.browsePath ?? '');
    if (typeof segments === 'string') out[index] = { reason: 'BadBrowseNameInvalid' };
    else walks.push({ index, segments, at: coerceNodeId(ObjectIds.ObjectsFolder), depth: 0 });
  });

  const children = new Map<string, ReferenceDescription[]>();
  let active = walks;
  while (active.length > 0) {
    const unknown = [...new Map(active.map((w) => [w.at.toString(), w.at])).entries()].filter(([key]) => !children.has(key));
    if (unknown.length > 0) {
      const results = await session.browse(
        unknown.map(([, id]) => id),
        signal,
      );
      unknown.forEach(([key], i) => {
        children.set(key, results[i] ?? []);
      });
    }
    const next: typeof active = [];
    for (const walk of active) {
      const segment = walk.segments[walk.depth]!;
      const ref = children.get(walk.at.toString())!.find((r) => matches(r, segment));
      if (!ref) {
        out[walk.index] = { reason: 'BadNoMatch' };
        continue;
      }
      const nodeId = ref.nodeId as unknown as NodeId;
      if (walk.depth + 1 === walk.segments.length) out[walk.index] = { nodeId };
      else next.push({ ...walk, at: nodeId, depth: walk.depth + 1 });
    }
    active = next;
  }
  return out;
}
