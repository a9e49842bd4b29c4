/**
 * The trap receiver's parts that need no socket: RFC 3584 v1 → v2 trap OIDs, JSON-safe varbinds,
 * the per-second budget (fake clock), sender address → device lookup (fake resolver).
 */
import { describe, expect, it } from 'vitest';
import type { SnmpDeviceConfig } from '../../drivers/snmp/device.js';
import { eventVarbinds, MAX_EVENT_VARBINDS, notificationOid } from '../../drivers/snmp/traps/trap-pdu.js';
import { createTrapRateLimit } from '../../drivers/snmp/traps/trap-rate.js';
import { normalizeAddress, resolveTrapSources } from '../../drivers/snmp/traps/trap-sources.js';
import { createTrapStats } from '../../drivers/snmp/traps/trap-stats.js';

const V1 = 164;
const V2 = 167;
const TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0';
const UPTIME = '1.3.6.1.2.1.1.3.0';

describe('notificationOid', () => {
  it('takes snmpTrapOID.0 of a v2 PDU', () => {
    const pdu = { type: V2, varbinds: [{ oid: UPTIME, type: 67, value: 5 }, { oid: TRAP_OID, type: 6, value: '1.3.6.1.2.1.33.2.1' }] };
    expect(notificationOid(pdu)).toBe('1.3.6.1.2.1.33.2.1');
  });

  it('maps v1 enterprise-specific traps to enterprise.0.specific (RFC 3584)', () => {
    expect(notificationOid({ type: V1, enterprise: '1.3.6.1.4.1.318', generic: 6, specific: 5 })).toBe('1.3.6.1.4.1.318.0.5');
  });

  it('maps the v1 generic traps to snmpTraps.(generic+1)', () => {
    expect(notificationOid({ type: V1, enterprise: '1.3.6.1.4.1.318', generic: 0, specific: 0 })).toBe('1.3.6.1.6.3.1.1.5.1');
    expect(notificationOid({ type: V1, enterprise: '1.3.6.1.4.1.318', generic: 2, specific: 0 })).toBe('1.3.6.1.6.3.1.1.5.3');
    expect(notificationOid({ type: V1, enterprise: '1.3.6.1.4.1.318', generic: 5, specific: 0 })).toBe('1.3.6.1.6.3.1.1.5.6');
  });

  it('gives nothing for PDUs that name no trap', () => {
    expect(notificationOid({ type: V2, varbinds: [{ oid: UPTIME, type: 67, value: 5 }] })).toBeUndefined();
    expect(notificationOid({ type: V2, varbinds: [{ oid: TRAP_OID, type: 6, value: 'not an oid' }] })).toBeUndefined();
    expect(notificationOid({ type: V1, enterprise: '1.3.6.1.4.1.318', generic: 7, specific: 0 })).toBeUndefined();
    expect(notificationOid({ type: V1, enterprise: '1.3.6.1.4.1.318', generic: 6, specific: -1 })).toBeUndefined();
    expect(notificationOid({ type: V1, generic: 6, specific: 1 })).toBeUndefined();
  });
});

describe('eventVarbinds', () => {
  it('drops the v2 header and makes every value JSON-safe', () => {
    const pdu = {
      type: V2,
      varbinds: [
        { oid: UPTIME, type: 67, value: 5 },
        { oid: TRAP_OID, type: 6, value: '1.3.6.1.2.1.33.2.1' },
        { oid: '1.3.6.1.2.1.33.1.2.3.0', type: 2, value: 42 },
        { oid: '1.3.6.1.2.1.1.5.0', type: 4, value: Buffer.from('UPS-3 Hall B') },
        { oid: '1.3.6.1.4.1.9.1', type: 4, value: Buffer.from([0x00, 0x01, 0xff]) },
        { oid: '1.3.6.1.4.1.9.2', type: 70, value: Buffer.from([0x02, 0xdf, 0xdc, 0x1c, 0x35]) },
        { oid: '1.3.6.1.4.1.9.3', type: 64, value: '10.0.0.23' },
        { oid: '1.3.6.1.4.1.9.4', type: 68, value: Buffer.from([0xde, 0xad]) },
        { oid: '1.3.6.1.4.1.9.5', type: 5, value: null },
        { oid: '1.3.6.1.4.1.9.6', type: 65, value: 4294967295 },
      ],
    };
    const { varbinds, truncated } = eventVarbinds(pdu);
    expect(truncated).toBe(0);
    expect(varbinds).toEqual([
      { oid: '1.3.6.1.2.1.33.1.2.3.0', type: 'integer', value: 42 },
      { oid: '1.3.6.1.2.1.1.5.0', type: 'string', value: 'UPS-3 Hall B' },
      { oid: '1.3.6.1.4.1.9.1', type: 'string', value: '0x0001ff' },
      { oid: '1.3.6.1.4.1.9.2', type: 'counter64', value: 12345678901 },
      { oid: '1.3.6.1.4.1.9.3', type: 'ipaddress', value: '10.0.0.23' },
      { oid: '1.3.6.1.4.1.9.4', type: 'opaque', value: '0xdead' },
      { oid: '1.3.6.1.4.1.9.5', type: 'null', value: null },
      { oid: '1.3.6.1.4.1.9.6', type: 'counter', value: 4294967295 },
    ]);
    // what the event log stores must survive JSON unchanged
    expect(JSON.parse(JSON.stringify(varbinds))).toEqual(varbinds);
  });

  it('keeps an event small whatever the sender packs into one PDU', () => {
    const many = Array.from({ length: MAX_EVENT_VARBINDS + 10 }, (_, i) => ({ oid: `1.3.6.1.4.1.9.${i}`, type: 4, value: Buffer.alloc(5000, 0x41) }));
    const { varbinds, truncated } = eventVarbinds({ type: V2, varbinds: many });
    expect(varbinds).toHaveLength(MAX_EVENT_VARBINDS);
    expect(truncated).toBe(10);
    expect(String(varbinds[0]!.value).length).toBeLessThanOrEqual(1025);
  });
});

describe('createTrapRateLimit', () => {
  it('passes a burst of one second, then the rate', () => {
    let t = 0;
    const rate = createTrapRateLimit(10, () => t);
    const first = Array.from({ length: 15 }, () => rate.admit());
    expect(first.filter(Boolean)).toHaveLength(10);
    t += 500;
    expect(Array.from({ length: 10 }, () => rate.admit()).filter(Boolean)).toHaveLength(5);
    expect(rate.hasRoom()).toBe(false);
    t += 100;
    // a look takes nothing
    expect(rate.hasRoom()).toBe(true);
    expect(rate.hasRoom()).toBe(true);
    expect(rate.admit()).toBe(true);
    expect(rate.hasRoom()).toBe(false);
    t += 10_000;
    // idle time never saves more than one second's worth
    expect(Array.from({ length: 30 }, () => rate.admit()).filter(Boolean)).toHaveLength(10);
  });
});

function device(id: string, connection: Partial<SnmpDeviceConfig['connection']>, oids: string[] = []): SnmpDeviceConfig {
  return {
    id,
    name: id,
    kind: 'ups',
    pollIntervalMs: 10_000,
    driver: 'snmp',
    connection: { host: '127.0.0.1', port: 161, version: '2c', timeoutMs: 2000, retries: 1, maxVarbinds: 32, ...connection },
    points: [],
    traps: oids.map((oid, i) => ({ name: `rule${i}`, oid, set: {} })),
    tables: {},
  };
}

describe('resolveTrapSources', () => {
  it('finds devices by trapSource, else host; names resolve once; a failed name loses only that device', async () => {
    const asked: string[] = [];
    const sources = await resolveTrapSources(
      [
        device('a', { host: '10.0.0.1' }, ['1.3.6.1.2.1.33.2.1']),
        device('b', { host: '10.0.0.2', trapSource: '10.0.9.2' }),
        device('c', { host: 'ups-c.example' }),
        device('d', { host: 'gone.example' }),
        device('e', { host: '10.0.0.1', port: 1161 }),
      ],
      async (host) => {
        asked.push(host);
        if (host === 'ups-c.example') return ['10.0.0.3', '::ffff:10.0.0.4'];
        throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      },
    );
    expect(asked.sort()).toEqual(['gone.example', 'ups-c.example']);
    expect(sources.targets('10.0.0.1')?.map((t) => t.device.id)).toEqual(['a', 'e']);
    expect(sources.targets('10.0.0.1')?.[0]?.rules.get('1.3.6.1.2.1.33.2.1')?.name).toBe('rule0');
    expect(sources.targets('10.0.0.2')).toBeUndefined();
    expect(sources.targets('10.0.9.2')?.map((t) => t.device.id)).toEqual(['b']);
    expect(sources.targets('10.0.0.4')?.map((t) => t.device.id)).toEqual(['c']);
    expect(sources.targets('::ffff:10.0.0.3')?.map((t) => t.device.id)).toEqual(['c']);
    expect(sources.unresolved).toEqual([{ deviceId: 'd', host: 'gone.example', reason: 'ENOTFOUND' }]);
  });

  it('normalizes IPv4-mapped IPv6 senders only', () => {
    expect(normalizeAddress('::FFFF:192.0.2.1')).toBe('192.0.2.1');
    expect(normalizeAddress('2001:db8::1')).toBe('2001:db8::1');
  });
});

describe('createTrapStats', () => {
  it('counts by reason and keeps the last sender address', () => {
    const stats = createTrapStats();
    stats.receivedFrom('10.0.0.1');
    stats.receivedFrom(undefined);
    stats.accepted();
    stats.dropped('auth');
    stats.dropped('rate');
    stats.dropped('rate');
    expect(stats.snapshot()).toEqual({
      received: 2,
      accepted: 1,
      droppedUnknownSource: 0,
      droppedAuth: 1,
      droppedRate: 2,
      droppedInvalid: 0,
      lastFrom: '10.0.0.1',
    });
  });
});
