/**
 * Whether two action rules from two versions of the site file are the same rule. Rules are plain
 * data from the loader, except secrets (a webhook header, an MQTT password), which print as
 * `[secret]`: those are compared by a digest of their value, so a changed password counts as a
 * change. The digest is only compared, never kept or shown.
 */
import { createHash } from 'node:crypto';
import type { ActionRule } from './types.js';

export function sameActionRule(a: ActionRule, b: ActionRule): boolean {
  return fingerprint(a) === fingerprint(b);
}

function fingerprint(rule: ActionRule): string {
  return JSON.stringify(rule, function (this: Record<string, unknown>, key, value) {
    const raw = this[key];
    if (raw && typeof raw === 'object' && typeof (raw as { reveal?: unknown }).reveal === 'function') {
      return { secretDigest: createHash('sha256').update((raw as { reveal(): string }).reveal()).digest('hex') };
    }
    return value;
  });
}
