import { describe, expect, it } from 'vitest';
import type { Sample } from '../../core/types.js';
import { createBlockDecoder } from '../../drivers/modbus/block-decoder.js';
import { decodeBits, decodeRegisters } from '../../drivers/modbus/codec.js';
import type { ReadRequest } from '../../drivers/modbus/planner.js';
import { type ModbusPoint, type ModbusTable, MODBUS_TYPES, pointWidth, WORD_ORDERS } from '../../drivers/modbus/point.js';

/** What codec.ts says the point's sample is: the one definition the fast path must match. */
function expected(point: ModbusPoint, reply: number[] | boolean[], blockAddress: number, ts: number): Sample {
  const decoded =
    point.table === 'coil' || point.table === 'discrete'
      ? decodeBits(point, reply as boolean[], blockAddress)
      : decodeRegisters(point, reply as number[], blockAddress);
  const sample: Sample = { pointId: point.id, ts, value: decoded.value, quality: decoded.quality };
  if (decoded.reason !== undefined) sample.reason = decoded.reason;
  return sample;
}

/** Decodes `reply` for `points` (given in device order, so slots are reversed to test the mapping). */
function decodeAll(table: ModbusTable, address: number, count: number, points: ModbusPoint[], reply: number[] | boolean[]) {
  const request: ReadRequest = { table, address, count, points };
  const order = [...points].reverse();
  const samples = new Array<Sample | undefined>(points.length);
  createBlockDecoder(request, (p) => order.indexOf(p)).decode(reply, 1_700_000_000_123, samples);
  return { samples, order };
}

function pt(over: Partial<ModbusPoint> & Pick<ModbusPoint, 'type' | 'address'>): ModbusPoint {
  const key = `p${over.address}${over.bit === undefined ? '' : `b${over.bit}`}`;
  return { id: `dev.${key}`, key, name: key, table: 'holding', wordOrder: 'ABCD', ...over };
}

describe('createBlockDecoder', () => {
  it('decodes the plain types straight from the block, at their offset, into their slots', () => {
    const points = [
      pt({ type: 'uint16', address: 10 }),
      pt({ type: 'int16', address: 11 }),
      pt({ type: 'float32', address: 12 }),
      pt({ type: 'float32', address: 14, wordOrder: 'CDAB' }),
    ];
    const reply = [0xffff, 0xfffe, 0x42f6, 0xe979, 0xe979, 0x42f6];
    const { samples, order } = decodeAll('holding', 10, 6, points, reply);
    expect(samples.map((s) => s?.value)).toEqual([Math.fround(123.456), Math.fround(123.456), -2, 65535]);
    expect(samples.every((s, i) => s?.pointId === order[i]!.id && s?.quality === 'good' && s?.ts === 1_700_000_000_123)).toBe(true);
  });

  it.each([
    ['NaN', [0x7fc0, 0x0000]],
    ['+Infinity', [0x7f80, 0x0000]],
    ['-Infinity', [0xff80, 0x0000]],
  ])('a float32 %s is "not available" in either word order', (_what, words) => {
    const points = [pt({ type: 'float32', address: 0 }), pt({ type: 'float32', address: 2, wordOrder: 'CDAB' })];
    const { samples } = decodeAll('input', 0, 4, points, [...words, words[1]!, words[0]!]);
    for (const s of samples) expect(s).toMatchObject({ value: null, quality: 'bad', reason: 'not-available' });
  });

  it('a block shorter than its request is a bad frame for the points beyond it, the rest decoded', () => {
    const points = [pt({ type: 'uint16', address: 0 }), pt({ type: 'int16', address: 1 }), pt({ type: 'float32', address: 2 })];
    const { samples } = decodeAll('holding', 0, 4, points, [7, 0x8000, 0x42f6]);
    expect(samples.map((s) => [s?.value, s?.quality, s?.reason])).toEqual([
      [null, 'bad', 'bad-frame'],
      [-32768, 'good', undefined],
      [7, 'good', undefined],
    ]);
  });

  it('bits: each coil at its offset, into its slot', () => {
    const points = [0, 1, 3].map((address) => pt({ type: 'bool', table: 'coil', address: 20 + address }));
    const { samples } = decodeAll('coil', 20, 4, points, [true, false, false, true]);
    expect(samples.map((s) => s?.value)).toEqual([true, false, true]);
  });

  // Every type, word order and option, on random register maps: the fast path and codec.ts agree.
  it('gives what codec.ts gives, on random register maps', () => {
    let seed = 19;
    // The high bits of the LCG: its low bits repeat too soon (`seed % 10` never picked int16).
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * n);
    };
    // Now and then the words of a float32 NaN or infinity, so those branches are taken too.
    const word = () => [0x7fc0, 0x7f80, 0xff80, 0][rand(12)] ?? rand(0x10000);
    const pick = <T>(options: readonly T[]): T => options[rand(options.length)]!;
    let checked = 0;
    for (let round = 0; round < 300; round++) {
      const points: ModbusPoint[] = [];
      let address = 100;
      const n = 1 + rand(20);
      for (let i = 0; i < n; i++) {
        const type = pick(MODBUS_TYPES);
        const over: Partial<ModbusPoint> = { wordOrder: pick(WORD_ORDERS) };
        if (type === 'string') over.length = 1 + rand(8);
        if (type === 'bool' && rand(2) === 0) over.bit = rand(16);
        if (rand(5) === 0) over.scale = pick([0.1, 0.01, 10]);
        if (rand(6) === 0) over.offset = pick([-40, 0.5]);
        if (rand(8) === 0) over.binaryPoint = pick([0, 3]);
        if (rand(6) === 0) over.sentinel = [pick([0xffff, 0x8000, 0x7fff])];
        if (rand(8) === 0) over.enum = { '0': 'off', '1': 'on' };
        const point = pt({ type, address, ...over });
        points.push(point);
        address += pointWidth(point) + rand(2);
      }
      const count = address - 100;
      const reply = Array.from({ length: count }, word);
      const { samples, order } = decodeAll('holding', 100, count, points, reply);
      for (const [i, point] of order.entries()) {
        expect(samples[i], `${JSON.stringify(point)} on ${JSON.stringify(reply)}`).toEqual(expected(point, reply, 100, 1_700_000_000_123));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2000);
  });
});
