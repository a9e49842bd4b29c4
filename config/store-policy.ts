/**
 * A point's `store:` (report-by-exception storage, gateway/store/report-by-exception.ts), written
 * on a device point or a profile point whatever the driver. The loader takes it off the point
 * before the driver's own point schema sees it, checks it here with `file:line path` problems,
 * and merges it like any other point field: a device point's `store:` replaces its profile
 * point's, and `store: null` stores every reading again.
 */
import { z } from 'zod';
import type { ConfigProblem } from '../core/errors.js';
import type { StorePolicy } from '../core/store-policy.js';
import { parseAt } from './schema.js';
import type { PathSegment, YamlSource } from './yaml-source.js';

export type { StorePolicy };

/** A day: a longer heartbeat would leave a steady point without a row for longer than most retention checks look back. */
export const MAX_HEARTBEAT_S = 86_400;
export const DEFAULT_HEARTBEAT_S = 300;

export const storePolicySchema = z
  .strictObject({
    deadband: z.number().min(0).optional(),
    deadbandPct: z.number().min(0).max(100).optional(),
    heartbeatS: z.int().min(1).max(MAX_HEARTBEAT_S).default(DEFAULT_HEARTBEAT_S),
  })
  .superRefine((p, ctx) => {
    if ((p.deadband === undefined) === (p.deadbandPct === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of deadband (absolute) and deadbandPct (percent of the last stored value)' });
    }
  });

/** The `store` field of one written point: absent, null (store everything) or a policy. */
export type WrittenStore = StorePolicy | null | undefined;

/**
 * Takes `store` off a written point (so the driver's strict point schema never sees it) and
 * checks it. Returns the point without it and what it said; a bad policy is a problem and counts
 * as absent.
 */
export function takeStorePolicy(
  item: unknown,
  src: YamlSource,
  path: readonly PathSegment[],
  problems: ConfigProblem[],
): { item: unknown; store: WrittenStore } {
  if (!item || typeof item !== 'object' || Array.isArray(item) || !('store' in item)) return { item, store: undefined };
  const { store: raw, ...rest } = item as Record<string, unknown>;
  if (raw === null) return { item: rest, store: null };
  const parsed = parseAt(storePolicySchema, raw, src, [...path, 'store']);
  problems.push(...parsed.problems);
  if (!parsed.data) return { item: rest, store: undefined };
  const { deadband, deadbandPct, heartbeatS } = parsed.data;
  return { item: rest, store: { heartbeatS, ...(deadband !== undefined ? { deadband } : { deadbandPct }) } };
}

/** A device's store policies by point key: its profile's points', then its own over them. */
export function mergeStorePolicies(
  profilePoints: readonly { input: { key: string }; store?: WrittenStore }[],
  devicePoints: readonly { input: { key: string }; store?: WrittenStore }[],
): Map<string, StorePolicy> {
  const byKey = new Map<string, StorePolicy>();
  for (const p of profilePoints) if (p.store) byKey.set(p.input.key, p.store);
  for (const p of devicePoints) {
    if (p.store === null) byKey.delete(p.input.key);
    else if (p.store) byKey.set(p.input.key, p.store);
  }
  return byKey;
}
