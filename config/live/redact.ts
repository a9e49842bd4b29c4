/**
 * The running config as JSON for the API: secrets print as `[secret]` (core/secret.ts), broker
 * password hashes are hidden too (a hash still invites guessing), and the topology's Map becomes
 * a list of its nodes.
 */
import { Secret } from '../../core/secret.js';
import type { SiteConfig } from '../types.js';

const HIDDEN = '[secret]';

export function redactedConfig(config: SiteConfig): unknown {
  const { topology, ...rest } = config;
  const plain = JSON.parse(
    JSON.stringify(rest, (key, value: unknown) => {
      if (value instanceof Secret) return HIDDEN;
      // mqttBroker.users[].password: { hash } or { secret }
      if (key === 'password' && value !== null && typeof value === 'object') return HIDDEN;
      return value;
    }),
  ) as Record<string, unknown>;
  if (topology) plain.topology = [...topology.nodes.values()];
  return plain;
}
