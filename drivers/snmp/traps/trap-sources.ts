/**
 * Which configured device a notification belongs to: by the sender's address (the device's
 * `connection.trapSource`, else its `connection.host`), then its trap rule by snmpTrapOID.
 * Host names are resolved once at start; a name that does not resolve only loses that device's
 * traps (they count as unknown source), it never stops the receiver.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { SnmpDeviceConfig, SnmpTrapRule } from '../device.js';

export interface TrapTarget {
  /** the device's position in the module's device and driver lists */
  index: number;
  device: SnmpDeviceConfig;
  rules: ReadonlyMap<string, SnmpTrapRule>;
}

export type ResolveHost = (host: string) => Promise<string[]>;

export interface TrapSources {
  /** the devices a sender address stands for (several devices may share one agent address) */
  targets(address: string): readonly TrapTarget[] | undefined;
  /** devices whose trap source did not resolve, with the reason */
  unresolved: Array<{ deviceId: string; host: string; reason: string }>;
}

const resolveWithDns: ResolveHost = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/** '::ffff:10.0.0.5' (an IPv4 sender on a dual-stack socket) is 10.0.0.5. */
export function normalizeAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

export async function resolveTrapSources(devices: readonly SnmpDeviceConfig[], resolve: ResolveHost = resolveWithDns): Promise<TrapSources> {
  const byAddress = new Map<string, TrapTarget[]>();
  const unresolved: TrapSources['unresolved'] = [];
  await Promise.all(
    devices.map(async (device, index) => {
      const host = device.connection.trapSource ?? device.connection.host;
      let addresses: string[];
      try {
        addresses = isIP(host) ? [host] : await resolve(host);
      } catch (err) {
        unresolved.push({ deviceId: device.id, host, reason: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
        return;
      }
      // a rule list is small; the first rule of an OID wins (the loader rejects duplicates anyway)
      const rules = new Map<string, SnmpTrapRule>();
      for (const rule of device.traps) if (!rules.has(rule.oid)) rules.set(rule.oid, rule);
      const target: TrapTarget = { index, device, rules };
      for (const address of new Set(addresses.map(normalizeAddress))) {
        const list = byAddress.get(address) ?? [];
        list.push(target);
        // config order, whatever order the lookups finished in
        list.sort((a, b) => a.index - b.index);
        byAddress.set(address, list);
      }
    }),
  );
  return { targets: (address) => byAddress.get(normalizeAddress(address)), unresolved };
}
