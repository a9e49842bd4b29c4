/**
 * Whether a latest value is still current. The latest-value view only shows committed values, so
 * while commits fail (a full disk keeps newer samples queued) it keeps showing the last ones it
 * had, and they must not pass for live values. Once commits have been failing for longer than
 * STALE_POLLS poll intervals of the point's device (plus STALE_SLACK_MS for the commit interval),
 * its value is served as stale: a `good` one becomes `uncertain` with reason `stale`.
 *
 * The sample's own timestamp cannot tell: an OPC UA subscription keeps the source timestamp of a
 * value that has not changed for hours, and a device that stops answering gets `bad` samples from
 * the sampler, which do commit.
 */
import type { Quality } from '../core/types.js';

export const STALE_POLLS = 3;
export const STALE_SLACK_MS = 5_000;

export interface Freshness {
  stale: boolean;
  quality: Quality | null;
  reason: string | null;
}

export function freshness(
  latest: { quality: Quality; reason?: string } | undefined,
  pollIntervalMs: number | undefined,
  /** when commits began failing (store stats), null while they work */
  failingSince: number | null,
  now: number,
): Freshness {
  if (!latest) return { stale: false, quality: null, reason: null };
  const stale = failingSince !== null && pollIntervalMs !== undefined && now - failingSince > STALE_POLLS * pollIntervalMs + STALE_SLACK_MS;
  if (stale && latest.quality === 'good') return { stale, quality: 'uncertain', reason: 'stale' };
  return { stale, quality: latest.quality, reason: latest.reason ?? null };
}
