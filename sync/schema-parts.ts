/** Zod parts every push target kind shares: ids, URLs by scheme, the retry policy. */
import { z } from 'zod';

export interface RetryPolicy {
  /** first wait after a failure */
  retryInitialMs: number;
  /** longest wait between attempts for failures that may pass (network, 5xx, timeouts) */
  retryMaxMs: number;
}

const ID = /^[a-z0-9_-]+$/;
export const id = () => z.string().regex(ID, 'has characters other than a-z, 0-9, _ and -');

export function urlWith(schemes: readonly string[]) {
  return z.string().refine((text) => {
    try {
      return schemes.includes(new URL(text).protocol.replace(/:$/, ''));
    } catch {
      return false;
    }
  }, `must be a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}`);
}

export const retryShape = {
  retryInitialMs: z.int().min(1).max(3_600_000).default(1000),
  retryMaxMs: z.int().min(1).max(86_400_000).default(60_000),
};
