/**
 * The loader's side of a profile's `analytics:` list: each entry is checked on its own (so one bad
 * entry hides nothing) and then against the profile's point keys, with its problems located in the
 * profile file. Expanding the good entries per device is specs.ts's job.
 */
import type { ConfigProblem } from '../core/errors.js';
import { type ProfileAnalyticsEntry, profileAnalyticsEntrySchema } from '../gateway/analytics/config-schema.js';
import { checkProfileAnalytics } from '../gateway/analytics/specs.js';
import { parseAt } from './schema.js';
import type { YamlSource } from './yaml-source.js';

export function parseProfileAnalytics(raw: unknown, keys: readonly string[], src: YamlSource, problems: ConfigProblem[]): ProfileAnalyticsEntry[] {
  // Not a list: the profile's schema says so.
  if (!Array.isArray(raw)) return [];
  const entries = raw.map((item, i) => {
    const parsed = parseAt(profileAnalyticsEntrySchema, item, src, ['analytics', i]);
    problems.push(...parsed.problems);
    return parsed.data;
  });
  for (const p of checkProfileAnalytics(entries, keys)) problems.push(src.problem(p.path, p.message));
  return entries.filter((e) => e !== undefined);
}
