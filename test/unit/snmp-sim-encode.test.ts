/**
 * The SNMP simulator's encoding: a model's values back to the raw values an agent serves, the
 * inverse of the profile's map, including OIDs several points share (a mode enum and flags on
 * upsOutputSource, alarm bits of one INTEGER).
 */
import { describe, expect, it } from 'vitest';
import type { SnmpPoint } from '../../drivers/snmp/point.js';
import { cellsOf, encodeCell } from '../../drivers/snmp/simulator/encode.js';

const p = (key: string, oid: string, extra: Partial<SnmpPoint> = {}): SnmpPoint => ({ id: `d.${key}`, key, name: key, oid, ...extra });

const SOURCE = '1.3.6.1.2.1.33.1.4.1.0';
const upsSource = [
  p('on_line', SOURCE, { trueValues: [3, 6, 7] }),
  p('on_battery', SOURCE, { trueValues: [5] }),
  p('on_bypass', SOURCE, { trueValues: [4] }),
  p('mode', SOURCE, { enum: { 1: 'other', 2: 'none', 3: 'normal', 4: 'bypass', 5: 'battery' } }),
];

describe('SNMP simulator encoding', () => {
  it('one cell per OID, with every point on it', () => {
    const cells = cellsOf([...upsSource, p('charge', '1.3.6.1.2.1.33.1.2.4.0')], {});
    expect(cells.map((c) => [c.oid, c.points.length, c.type])).toEqual([
      [SOURCE, 4, 'integer'],
      ['1.3.6.1.2.1.33.1.2.4.0', 1, 'integer'],
    ]);
  });

  it('a shared OID: the true flag wins, then the enum label (with the model\'s synonyms)', () => {
    const [cell] = cellsOf(upsSource, {});
    expect(encodeCell(cell!, { on_line: false, on_battery: true, on_bypass: false, mode: 'battery' })).toBe(5);
    expect(encodeCell(cell!, { on_line: true, on_battery: false, on_bypass: false, mode: 'online' })).toBe(3);
    // shut down: no flag true, the mode's "off" is UPS-MIB's none(2)
    expect(encodeCell(cell!, { on_line: false, on_battery: false, on_bypass: false, mode: 'off' })).toBe(2);
  });

  it('numbers through scale and offset, rounded and kept in the syntax range', () => {
    const enc = (point: SnmpPoint, v: number) => encodeCell(cellsOf([point], {})[0]!, { [point.key]: v });
    expect(enc(p('v', '1.1.0', { scale: 0.1 }), 54.6)).toBe(546);
    expect(enc(p('t', '1.2.0', { scale: 0.5, offset: -40 }), 25)).toBe(130);
    expect(enc(p('g', '1.3.0', { type: 'gauge' }), -3)).toBe(0);
    expect(enc(p('c', '1.4.0', { type: 'counter' }), 2 ** 32 + 7)).toBe(7);
    const c64 = enc(p('e', '1.5.0', { type: 'counter64' }), 2 ** 40 + 1) as Buffer;
    expect(c64.readBigUInt64BE()).toBe(2n ** 40n + 1n);
  });

  it('bits OR-ed into an INTEGER, or SNMP BITS order in an OctetString', () => {
    const ints = [p('a', '2.1.0', { bit: 0 }), p('b', '2.1.0', { bit: 3 })];
    expect(encodeCell(cellsOf(ints, {})[0]!, { a: true, b: true })).toBe(9);
    const bits = [p('a', '2.2.0', { bit: 0, type: 'string' }), p('b', '2.2.0', { bit: 9, type: 'string' })];
    expect(encodeCell(cellsOf(bits, {})[0]!, { a: true, b: true })).toEqual(Buffer.from([0x80, 0x40]));
  });

  it('false flags take a raw no flag counts as true; no value at all is the sentinel', () => {
    expect(encodeCell(cellsOf([p('low', '3.1.0', { trueValues: [3, 4] })], {})[0]!, { low: false })).toBe(2);
    expect(encodeCell(cellsOf([p('x', '3.2.0', { sentinel: [-1] })], {})[0]!, {})).toBe(-1);
  });

  it('text stays text; the syntax is guessed from the model when the point names none', () => {
    const [cell] = cellsOf([p('model', '4.1.0')], { model: 'SIM-UPS' });
    expect(cell!.type).toBe('string');
    expect(encodeCell(cell!, { model: 'SIM-UPS' })).toBe('SIM-UPS');
  });
});
