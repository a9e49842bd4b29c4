/**
 * The `topology:` section of the site file (zod), one entry at a time: a node of its own
 * `{ id, kind: feed|zone|group, name, fedBy?, contains? }` or a device's links
 * `{ device, fedBy?, cools? }`. The loader (config/topology-list.ts) parses each entry with the
 * schema its keys ask for, then checks the whole with buildTopology.
 */
import { z } from 'zod';

export { buildTopology, type TopologyEntry, type TopologyProblem } from './build.js';

const id = () => z.string().regex(/^[a-z0-9_-]+$/, 'has characters other than a-z, 0-9, _ and -');
const ids = () => z.array(id()).optional();

export const topologyNodeEntrySchema = z
  .strictObject({
    id: id(),
    kind: z.enum(['feed', 'zone', 'group']),
    name: z.string().min(1),
    fedBy: ids(),
    contains: ids(),
  })
  .superRefine((entry, ctx) => {
    // A feed holds nothing; a zone or group is where things are, not what powers them.
    if (entry.kind === 'feed' && entry.contains) ctx.addIssue({ code: 'custom', path: ['contains'], message: 'a feed contains nothing (only zones and groups do)' });
  });

export const topologyDeviceEntrySchema = z.strictObject({
  device: id(),
  fedBy: ids(),
  cools: ids(),
});

/** The schema for one entry: a device's links when it says `device:`, otherwise a node. */
export function topologyEntrySchemaFor(entry: unknown) {
  return entry && typeof entry === 'object' && 'device' in entry ? topologyDeviceEntrySchema : topologyNodeEntrySchema;
}
