/** Varbind → sample, case by case: syntax checks, numbers, labels, booleans, BITS, counters and rates. */
import { describe, expect, it } from 'vitest';
import { CounterRates, decodeCounter64, decodeVarbind, octetText, SNMP_TAG, type Varbind } from '../../drivers/snmp/codec.js';
import type { SnmpPoint } from '../../drivers/snmp/point.js';

const T = SNMP_TAG;
const OID = '1.3.6.1.4.1.99.1.0';

function point(extra: Partial<SnmpPoint> = {}): SnmpPoint {
  return { id: 'dev.p', key: 'p', name: 'p', oid: OID, ...extra };
}

const vb = (type: number, value: unknown): Varbind => ({ oid: OID, type, value });
const good = (value: unknown) => ({ quality: 'good', value });
const bad = (reason: string) => ({ quality: 'bad', value: null, reason });

describe('decodeVarbind', () => {
  it.each<[string, Partial<SnmpPoint>, Varbind, object]>([
    ['integer as is', {}, vb(T.Integer, -42), good(-42)],
    ['gauge with scale and offset', { type: 'gauge', scale: 0.1, offset: -40 }, vb(T.Gauge32, 655), good(25.5)],
    // 157 × 0.1 is 15.700000000000001 in binary floating point; a user reads 15.7
    ['scaled integers carry no binary noise', { type: 'integer', scale: 0.1 }, vb(T.Integer, 157), good(15.7)],
    ['timeticks stay hundredths, scaled by the map', { type: 'timeticks', scale: 0.01 }, vb(T.TimeTicks, 12345), good(123.45)],
    ['counter as a count', { type: 'counter' }, vb(T.Counter32, 4294967295), good(4294967295)],
    ['counter64 Buffer, big-endian', { type: 'counter64' }, vb(T.Counter64, Buffer.from('0000000100000002', 'hex')), good(2 ** 32 + 2)],
    ['counter64 short Buffer', {}, vb(T.Counter64, Buffer.from([0x01, 0x00])), good(256)],
    ['enum label', { enum: { '1': 'unknown', '2': 'normal', '3': 'low' } }, vb(T.Integer, 2), good('normal')],
    ['enum unknown raw', { enum: { '1': 'unknown' } }, vb(T.Integer, 9), bad('unknown-enum')],
    ['trueValues hit', { trueValues: [5, 6] }, vb(T.Integer, 6), good(true)],
    ['trueValues miss', { trueValues: [5] }, vb(T.Integer, 2), good(false)],
    ['bit of an integer set', { bit: 3 }, vb(T.Integer, 0b1000), good(true)],
    ['bit of an integer clear', { bit: 2 }, vb(T.Integer, 0b1000), good(false)],
    ['bit 31 of an unsigned gauge', { bit: 31, type: 'gauge' }, vb(T.Gauge32, 0x80000000), good(true)],
    ['BITS bit 0 is the MSB of octet 0', { bit: 0 }, vb(T.OctetString, Buffer.from([0x80, 0x00])), good(true)],
    ['BITS bit 9 in octet 1', { bit: 9, type: 'string' }, vb(T.OctetString, Buffer.from([0x00, 0x40])), good(true)],
    ['BITS bit 7 clear', { bit: 7 }, vb(T.OctetString, Buffer.from([0xfe])), good(false)],
    ['BITS past the octets given is 0', { bit: 20 }, vb(T.OctetString, Buffer.from([0xff])), good(false)],
    ['sentinel → not available', { sentinel: [-1, 2147483647] }, vb(T.Integer, 2147483647), bad('not-available')],
    ['sentinel checked before scale', { sentinel: [-1], scale: 10 }, vb(T.Integer, -1), bad('not-available')],
    ['string UTF-8', {}, vb(T.OctetString, Buffer.from('Smart-UPS 1500 ✓')), good('Smart-UPS 1500 ✓')],
    ['string trailing NULs dropped', { type: 'string' }, vb(T.OctetString, Buffer.from('ab\0\0')), good('ab')],
    ['string binary → hex', {}, vb(T.OctetString, Buffer.from([0x00, 0x1b, 0xff])), good('0x001bff')],
    ['ipaddress', { type: 'ipaddress' }, vb(T.IpAddress, '10.0.0.23'), good('10.0.0.23')],
    ['oid', { type: 'oid' }, vb(T.OID, '1.3.6.1.4.1.318.1.3.27'), good('1.3.6.1.4.1.318.1.3.27')],
    ['noSuchObject', {}, vb(T.NoSuchObject, null), bad('not-available')],
    ['noSuchInstance', { type: 'integer' }, vb(T.NoSuchInstance, null), bad('not-available')],
    ['endOfMibView', {}, vb(T.EndOfMibView, null), bad('not-available')],
    ['type mismatch integer vs string', { type: 'integer' }, vb(T.OctetString, Buffer.from('x')), bad('config')],
    ['type mismatch gauge vs counter', { type: 'gauge' }, vb(T.Counter32, 5), bad('config')],
    ['numeric options on a string (auto type)', { scale: 2 }, vb(T.OctetString, Buffer.from('7')), bad('config')],
    ['enum on an ipaddress', { enum: { '1': 'x' } }, vb(T.IpAddress, '1.2.3.4'), bad('config')],
    ['rate on a gauge (auto type)', { rate: true }, vb(T.Gauge32, 5), bad('config')],
    ['null syntax', {}, vb(T.Null, null), bad('config')],
  ])('%s', (_name, extra, varbind, expected) => {
    const sample = decodeVarbind(point(extra), varbind, 1000, new CounterRates());
    expect(sample).toMatchObject({ pointId: 'dev.p', ts: 1000, ...expected });
    if (sample.quality === 'good') expect(sample.reason).toBeUndefined();
  });
});

describe('counter rates', () => {
  const rate = (type: 'counter' | 'counter64', scale?: number) => point({ type, rate: true, ...(scale ? { scale } : {}) });
  const c32 = (n: number) => vb(T.Counter32, n);
  const c64 = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(n);
    return vb(T.Counter64, b);
  };

  it.each<[string, 'counter' | 'counter64', Varbind[], number[], object[]]>([
    ['first poll has no rate, then per second', 'counter', [c32(1000), c32(1500), c32(2500)], [0, 10_000, 20_000], [bad('not-available'), good(50), good(100)]],
    ['Counter32 wrap is counted mod 2^32', 'counter', [c32(4294967000), c32(704)], [0, 1000], [bad('not-available'), good(1000)]],
    ['Counter32 going far down is a restart: one bad, then rates again', 'counter', [c32(3_000_000), c32(10), c32(110)], [0, 1000, 2000], [bad('not-available'), bad('not-available'), good(100)]],
    ['Counter64 going down is a restart', 'counter64', [c64(10n ** 12n), c64(5n), c64(25n)], [0, 1000, 2000], [bad('not-available'), bad('not-available'), good(20)]],
    ['Counter64 above 2^32', 'counter64', [c64(2n ** 40n), c64(2n ** 40n + 8000n)], [0, 2000], [bad('not-available'), good(4000)]],
    ['same timestamp gives no rate', 'counter', [c32(1), c32(2)], [5000, 5000], [bad('not-available'), bad('not-available')]],
  ])('%s', (_name, type, varbinds, times, expected) => {
    const rates = new CounterRates();
    const samples = varbinds.map((v, i) => decodeVarbind(rate(type), v, times[i]!, rates));
    expect(samples).toMatchObject(expected);
  });

  it('scales the rate (octets/s → bit/s) and keeps points apart', () => {
    const rates = new CounterRates();
    const a = point({ id: 'dev.a', type: 'counter', rate: true, scale: 8 });
    const b = point({ id: 'dev.b', type: 'counter', rate: true });
    decodeVarbind(a, c32(0), 0, rates);
    decodeVarbind(b, c32(100), 0, rates);
    expect(decodeVarbind(a, c32(125), 1000, rates)).toMatchObject(good(1000));
    expect(decodeVarbind(b, c32(100), 1000, rates)).toMatchObject(good(0));
  });

  it('a missing value restarts the rate', () => {
    const rates = new CounterRates();
    const p = rate('counter');
    decodeVarbind(p, c32(10), 0, rates);
    expect(decodeVarbind(p, vb(T.NoSuchInstance, null), 1000, rates)).toMatchObject(bad('not-available'));
    expect(decodeVarbind(p, c32(20), 2000, rates)).toMatchObject(bad('not-available'));
    expect(decodeVarbind(p, c32(30), 3000, rates)).toMatchObject(good(10));
  });
});

describe('helpers', () => {
  it('decodeCounter64 is exact up to 2^53', () => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(2n ** 53n - 1n);
    expect(decodeCounter64(b)).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeCounter64(Buffer.alloc(0))).toBe(0);
  });

  it('octetText keeps tabs and line breaks as text', () => {
    expect(octetText(Buffer.from('a\tb\r\nc'))).toBe('a\tb\r\nc');
    expect(octetText(Buffer.from([0xc3, 0x28]))).toBe('0xc328');
  });
});
