/**
 * The traps a simulated device sends when a scenario switches: on `power-failure` a UPS sends the
 * profile's traps that set on_battery true (UPS-MIB's upsTrapOnBattery when the profile has
 * none); when mains returns, those that set it false (UPS-MIB has none). Sent as v2c traps to the
 * gateway's trap receiver with its first community; the varbinds are the points the trap sets.
 */
import type { Logger } from '../../../core/logger.js';
import type { SnmpDeviceConfig, SnmpTrapRule } from '../device.js';
import type { Cell, RawValue } from './encode.js';
import snmp, { type Session } from 'net-snmp';

export const UPS_TRAP_ON_BATTERY = '1.3.6.1.2.1.33.2.1';

export interface TrapTarget {
  host: string;
  port: number;
  community: string;
}

const OBJECT_TYPE: Record<Cell['type'], string> = {
  integer: 'Integer',
  gauge: 'Gauge32',
  counter: 'Counter32',
  counter64: 'Counter64',
  timeticks: 'TimeTicks',
  string: 'OctetString',
  ipaddress: 'IpAddress',
  oid: 'OID',
};

/** The trap rules to send when the device goes on battery (true) or back to mains (false). */
export function trapsFor(device: SnmpDeviceConfig, onBattery: boolean): SnmpTrapRule[] {
  const rules = device.traps.filter((t) => t.set.on_battery === onBattery);
  if (rules.length > 0 || !onBattery || device.kind !== 'ups') return rules;
  return [{ name: 'upsTrapOnBattery', oid: UPS_TRAP_ON_BATTERY, set: { on_battery: true } }];
}

export interface TrapSender {
  /** `from`: the local address to send from (the device's trapSource), else the OS's choice */
  send(rule: SnmpTrapRule, cells: ReadonlyArray<Cell & { value: RawValue }>, from?: string): Promise<void>;
  close(): void;
}

export function createTrapSender(target: TrapTarget, logger: Logger): TrapSender {
  // one session per source address, so a receiver tells the devices apart as it would on site
  const sessions = new Map<string, Session>();
  const open = (from: string | undefined) => {
    let session = sessions.get(from ?? '');
    if (!session) {
      const options = { trapPort: target.port, version: snmp.Version2c, ...(from ? { sourceAddress: from } : {}) };
      session = snmp.createSession(target.host, target.community, options);
      session.on('error', (err) => logger.warn('simulated snmp trap session failed', { err: err.message }));
      sessions.set(from ?? '', session);
    }
    return session;
  };
  return {
    send(rule, cells, from) {
      const keys = new Set(Object.keys(rule.set));
      const varbinds = cells
        .filter((c) => c.points.some((p) => keys.has(p.key)))
        .map((c) => ({ oid: c.oid, type: snmp.ObjectType[OBJECT_TYPE[c.type]]!, value: c.value }));
      return new Promise((resolve) => {
        open(from).trap(rule.oid, varbinds, (err) => {
          if (err) logger.warn('simulated snmp trap not sent', { trap: rule.name, err: err.message });
          else logger.info('simulated snmp trap sent', { trap: rule.name, to: `${target.host}:${target.port}` });
          resolve();
        });
      });
    },
    close() {
      for (const session of sessions.values()) session.close();
      sessions.clear();
    },
  };
}
