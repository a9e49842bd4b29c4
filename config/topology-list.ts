/**
 * The loader's side of the site topology: each `topology:` entry is checked on its own (so one bad
 * entry hides nothing), then the whole against the loaded devices (unknown ids, loops), every
 * problem located at its entry's file, line and path.
 */
import type { ConfigProblem } from '../core/errors.js';
import { buildTopology, type TopologyEntry, topologyEntrySchemaFor } from '../gateway/topology/config-schema.js';
import type { Topology } from '../gateway/topology/types.js';
import { describe, parseAt } from './schema.js';
import type { YamlSource } from './yaml-source.js';

/** The site's topology (devices without an entry are unlinked nodes); undefined on problems. */
export function checkTopology(
  raw: unknown,
  devices: readonly { id: string; name: string }[],
  src: YamlSource,
  problems: ConfigProblem[],
): Topology | undefined {
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) {
    problems.push(src.problem(['topology'], `expected a list, got ${describe(raw)}`));
    return undefined;
  }
  const entries: TopologyEntry[] = [];
  const index: number[] = [];
  let bad = false;
  ((raw as unknown[] | null | undefined) ?? []).forEach((item, i) => {
    const parsed = parseAt(topologyEntrySchemaFor(item), item, src, ['topology', i]);
    problems.push(...parsed.problems);
    if (!parsed.data) bad = true;
    else {
      entries.push(parsed.data as TopologyEntry);
      index.push(i);
    }
  });
  const built = buildTopology(entries, devices);
  problems.push(...built.problems.map((p) => src.problem(['topology', index[p.entry]!, ...p.path], p.message)));
  return bad ? undefined : built.topology;
}
