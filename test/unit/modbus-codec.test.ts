import { describe, expect, it } from 'vitest';
import { decodeBitValue, decodeBits, decodeRegisterValue, decodeRegisters, isDecodeFault } from '../../drivers/modbus/codec.js';
import { encodeBit, encodeRegisters } from '../../drivers/modbus/encode.js';
import { type ModbusPoint, type ModbusType, WORD_ORDERS, type WordOrder } from '../../drivers/modbus/point.js';

function pt(over: Partial<ModbusPoint> & Pick<ModbusPoint, 'type'>): ModbusPoint {
  return {
    id: 'dev.p',
    key: 'p',
    name: 'P',
    table: 'holding',
    address: 0,
    wordOrder: 'ABCD',
    ...over,
  };
}

/** Decode registers placed at address 100 inside a block starting at 98 (exercises the offset). */
function decodeAt(point: ModbusPoint, regs: number[]) {
  return decodeRegisters({ ...point, address: 100 }, [0x1111, 0x2222, ...regs, 0x3333], 98);
}

// Vectors computed independently (Python struct) from the big-endian bytes of each value.
const VECTORS: Array<{ type: ModbusType; value: number; words: Record<WordOrder, number[]> }> = [
  {
    type: 'float32',
    value: Math.fround(123.456),
    words: {
      ABCD: [0x42f6, 0xe979],
      CDAB: [0xe979, 0x42f6],
      BADC: [0xf642, 0x79e9],
      DCBA: [0x79e9, 0xf642],
    },
  },
  {
    type: 'float32',
    value: -0.5,
    words: { ABCD: [0xbf00, 0], CDAB: [0, 0xbf00], BADC: [0x00bf, 0], DCBA: [0, 0x00bf] },
  },
  {
    type: 'float64',
    value: 123.456,
    words: {
      ABCD: [0x405e, 0xdd2f, 0x1a9f, 0xbe77],
      CDAB: [0xbe77, 0x1a9f, 0xdd2f, 0x405e],
      BADC: [0x5e40, 0x2fdd, 0x9f1a, 0x77be],
      DCBA: [0x77be, 0x9f1a, 0x2fdd, 0x5e40],
    },
  },
  {
    type: 'int32',
    value: -123456789,
    words: {
      ABCD: [0xf8a4, 0x32eb],
      CDAB: [0x32eb, 0xf8a4],
      BADC: [0xa4f8, 0xeb32],
      DCBA: [0xeb32, 0xa4f8],
    },
  },
  {
    type: 'uint32',
    value: 4000000000,
    words: {
      ABCD: [0xee6b, 0x2800],
      CDAB: [0x2800, 0xee6b],
      BADC: [0x6bee, 0x0028],
      DCBA: [0x0028, 0x6bee],
    },
  },
  {
    type: 'int64',
    value: -123456789012345,
    words: {
      ABCD: [0xffff, 0x8fb7, 0x79f2, 0x2087],
      CDAB: [0x2087, 0x79f2, 0x8fb7, 0xffff],
      BADC: [0xffff, 0xb78f, 0xf279, 0x8720],
      DCBA: [0x8720, 0xf279, 0xb78f, 0xffff],
    },
  },
  {
    type: 'uint64',
    value: 2 ** 60 + 2 ** 40 + 12345 * 2 ** 12, // above 2^53 yet exact as a double
    words: {
      ABCD: [0x1000, 0x0100, 0x0303, 0x9000],
      CDAB: [0x9000, 0x0303, 0x0100, 0x1000],
      BADC: [0x0010, 0x0001, 0x0303, 0x0090],
      DCBA: [0x0090, 0x0303, 0x0001, 0x0010],
    },
  },
];

const FIXED = VECTORS.flatMap((v) =>
  WORD_ORDERS.map((order) => ({ type: v.type, order, value: v.value, words: v.words[order] })),
);

describe('fixed vectors, every multi-register type × word order', () => {
  it.each(FIXED)('decodes $type $value as $order', ({ type, order, value, words }) => {
    expect(decodeAt(pt({ type, wordOrder: order }), words)).toEqual({ value, quality: 'good' });
  });

  it.each(FIXED)('encodes $type $value as $order', ({ type, order, value, words }) => {
    expect(encodeRegisters(pt({ type, wordOrder: order }), value)).toEqual(words);
  });
});

describe('16-bit types', () => {
  it.each([
    { type: 'uint16', words: [0], value: 0 },
    { type: 'uint16', words: [65535], value: 65535 },
    { type: 'uint16', words: [2301], value: 2301 },
    { type: 'int16', words: [0xffff], value: -1 },
    { type: 'int16', words: [0x8000], value: -32768 },
    { type: 'int16', words: [0x7fff], value: 32767 },
    { type: 'int16', words: [0xff9c], value: -100 },
    { type: 'bool', words: [0], value: false },
    { type: 'bool', words: [1], value: true },
    { type: 'bool', words: [0x0100], value: true },
  ] as const)('$type $words → $value', ({ type, words, value }) => {
    const point = pt({ type });
    expect(decodeAt(point, [...words])).toEqual({ value, quality: 'good' });
    expect(encodeRegisters(point, value)).toEqual(type === 'bool' ? [value ? 1 : 0] : words);
  });

  it('word order does not affect 16-bit values', () => {
    for (const wordOrder of WORD_ORDERS) {
      expect(decodeAt(pt({ type: 'int16', wordOrder }), [0xfffe]).value).toBe(-2);
    }
  });
});

describe('round trip, every numeric type × word order', () => {
  const VALUES: Record<Exclude<ModbusType, 'string' | 'bool'>, number[]> = {
    int16: [-32768, -1, 0, 1, 12345, 32767],
    uint16: [0, 1, 0x1234, 65535],
    int32: [-2147483648, -70000, -1, 0, 70000, 2147483647],
    uint32: [0, 65536, 0xdeadbeef, 4294967295],
    int64: [-(2 ** 53) + 1, -4294967297, -1, 0, 4294967296, 2 ** 53 - 1],
    uint64: [0, 4294967296, 2 ** 53 - 1, 2 ** 63],
    float32: [0, -1.5, Math.fround(Math.PI), Math.fround(-1e30), Math.fround(1e-30)],
    float64: [0, -1.5, Math.PI, -1e300, 5e-324],
  };
  const rows = Object.entries(VALUES).flatMap(([type, values]) =>
    WORD_ORDERS.flatMap((order) => values.map((value) => ({ type: type as ModbusType, order, value }))),
  );
  it.each(rows)('$type $order $value', ({ type, order, value }) => {
    const point = pt({ type, wordOrder: order });
    const words = encodeRegisters(point, value);
    expect(words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff)).toBe(true);
    expect(decodeAt(point, words)).toEqual({ value, quality: 'good' });
  });
});

describe('64-bit precision', () => {
  it('uint64 above 2^53 returns the nearest double (documented loss)', () => {
    expect(decodeAt(pt({ type: 'uint64' }), [0xffff, 0xffff, 0xffff, 0xffff]).value).toBe(2 ** 64);
    expect(decodeAt(pt({ type: 'uint64' }), [0x0020, 0, 0, 1]).value).toBe(2 ** 53); // 2^53 + 1
  });
  it('int64 -1 and the minimum', () => {
    expect(decodeAt(pt({ type: 'int64' }), [0xffff, 0xffff, 0xffff, 0xffff]).value).toBe(-1);
    expect(decodeAt(pt({ type: 'int64' }), [0x8000, 0, 0, 0]).value).toBe(-(2 ** 63));
  });
});

describe('scale, offset, binary point', () => {
  it.each([
    { what: '÷10', p: { type: 'uint16', scale: 0.1 }, words: [2301], value: 230.1 },
    { what: '÷100', p: { type: 'uint16', scale: 0.01 }, words: [5001], value: 50.01 },
    { what: '÷1000 int32', p: { type: 'int32', scale: 0.001 }, words: [0xffff, 0xfb2e], value: -1.234 },
    { what: 'negative ÷10', p: { type: 'int16', scale: 0.1 }, words: [0xffc9], value: -5.5 },
    { what: '×10', p: { type: 'uint16', scale: 10 }, words: [123], value: 1230 },
    { what: 'offset', p: { type: 'uint16', scale: 0.1, offset: -40 }, words: [653], value: 25.3 },
    { what: 'offset with decimals', p: { type: 'uint16', offset: 0.25 }, words: [3], value: 3.25 },
    { what: 'binary point 9', p: { type: 'uint16', binaryPoint: 9 }, words: [51200], value: 100 },
    { what: 'binary point 5', p: { type: 'uint16', binaryPoint: 5 }, words: [1745], value: 54.53125 },
    { what: 'bp + scale', p: { type: 'uint16', binaryPoint: 1, scale: 0.1 }, words: [3], value: 0.15 },
    { what: 'uint64 ×0.5 beyond 2^52 keeps full precision', p: { type: 'uint64', scale: 0.5 }, words: [0x1000, 0, 0, 0x0300], value: 2 ** 59 + 384 },
    { what: 'uint32 ÷10', p: { type: 'uint32', scale: 0.1 }, words: [0x0001, 0x0003], value: 6553.9 },
    { what: 'float32 ×10', p: { type: 'float32', scale: 10 }, words: [0x42f6, 0xe979], value: 1234.56001281738 },
    {
      what: 'float32 unscaled stays as decoded',
      p: { type: 'float32' },
      words: [0x42f6, 0xe979],
      value: 123.45600128173828,
    },
  ] as const)('$what', ({ p, words, value }) => {
    const point = pt(p);
    expect(decodeAt(point, [...words])).toEqual({ value, quality: 'good' });
    expect(encodeRegisters(point, value)).toEqual(words);
  });

  it.each([
    { scale: 0.1, divisor: 10 },
    { scale: 0.01, divisor: 100 },
    { scale: 0.001, divisor: 1000 },
  ])('every uint16 × $scale decodes to the shortest decimal (no float noise)', ({ scale, divisor }) => {
    const point = pt({ type: 'uint16', scale });
    const bad: number[] = [];
    for (let raw = 0; raw <= 0xffff; raw++) {
      if (decodeRegisters(point, [raw], 0).value !== raw / divisor) bad.push(raw);
    }
    expect(bad).toEqual([]);
  });
});

describe('sentinels and non-finite floats', () => {
  const NA = { value: null, quality: 'bad', reason: 'not-available' };
  it.each([
    { what: '0xFFFF on uint16', p: { type: 'uint16', sentinel: [0xffff] }, words: [0xffff], out: NA },
    { what: '0xFFFF on int16 (decoded -1)', p: { type: 'int16', sentinel: [0xffff] }, words: [0xffff], out: NA },
    { what: '-1 on int16', p: { type: 'int16', sentinel: [-1] }, words: [0xffff], out: NA },
    { what: '0x7FFF on scaled int16', p: { type: 'int16', scale: 0.1, sentinel: [0x7fff] }, words: [0x7fff], out: NA },
    { what: 'not matching', p: { type: 'int16', sentinel: [0x7fff] }, words: [0x7ffe], out: { value: 32766, quality: 'good' } },
    { what: '0xFFFFFFFF on uint32', p: { type: 'uint32', sentinel: [0xffffffff] }, words: [0xffff, 0xffff], out: NA },
    { what: '0x80000000 on int32', p: { type: 'int32', sentinel: [0x80000000] }, words: [0x8000, 0], out: NA },
    {
      what: 'int32 pattern with CDAB',
      p: { type: 'int32', wordOrder: 'CDAB', sentinel: [0xffff0000] },
      words: [0, 0xffff],
      out: NA,
    },
    { what: 'on a bit field register', p: { type: 'uint16', bit: 3, sentinel: [0xffff] }, words: [0xffff], out: NA },
    { what: 'on a bool register', p: { type: 'bool', sentinel: [0xffff] }, words: [0xffff], out: NA },
    { what: 'float32 NaN', p: { type: 'float32' }, words: [0x7fc0, 0], out: NA },
    { what: 'float32 +Infinity', p: { type: 'float32' }, words: [0x7f80, 0], out: NA },
    { what: 'float32 -Infinity', p: { type: 'float32' }, words: [0xff80, 0], out: NA },
    { what: 'float64 NaN', p: { type: 'float64' }, words: [0x7ff8, 0, 0, 0], out: NA },
    { what: 'float32 value sentinel', p: { type: 'float32', sentinel: [-1] }, words: [0xbf80, 0], out: NA },
  ] as const)('$what', ({ p, words, out }) => {
    expect(decodeAt(pt(p as Partial<ModbusPoint> & { type: ModbusType }), [...words])).toEqual(out);
  });

  it('null encodes as the first sentinel, folded into the type', () => {
    expect(encodeRegisters(pt({ type: 'int16', sentinel: [0xffff] }), null)).toEqual([0xffff]);
    expect(encodeRegisters(pt({ type: 'int32', sentinel: [0x80000000] }), null)).toEqual([0x8000, 0]);
    expect(() => encodeRegisters(pt({ type: 'int16' }), null)).toThrow(RangeError);
  });
});

describe('bit fields', () => {
  const BITS = Array.from({ length: 16 }, (_, bit) => bit);
  it.each(BITS)('bit %i', (bit) => {
    for (const type of ['uint16', 'int16', 'bool'] as const) {
      const point = pt({ type, bit });
      expect(decodeAt(point, [1 << bit]).value).toBe(true);
      expect(decodeAt(point, [~(1 << bit) & 0xffff]).value).toBe(false);
      expect(decodeAt(pt({ type, bit: (bit + 1) % 16 }), [1 << bit]).value).toBe(false);
    }
  });

  it.each(BITS)('encoding bit %i changes only that bit', (bit) => {
    const point = pt({ type: 'uint16', bit });
    expect(encodeRegisters(point, true, 0)).toEqual([1 << bit]);
    expect(encodeRegisters(point, false, 0xffff)).toEqual([~(1 << bit) & 0xffff]);
    expect(encodeRegisters(point, true, 0xa5a5)).toEqual([(0xa5a5 | (1 << bit)) & 0xffff]);
  });

  it('a bit outside 0–15 is a config fault', () => {
    expect(decodeAt(pt({ type: 'uint16', bit: 16 }), [0xffff])).toEqual({
      value: null,
      quality: 'bad',
      reason: 'config',
    });
    expect(() => encodeRegisters(pt({ type: 'uint16', bit: 16 }), true, 0)).toThrow(RangeError);
  });
});

describe('enums', () => {
  const mode = pt({ type: 'uint16', enum: { '0': 'off', '1': 'online', '2': 'battery' } });
  it.each([
    { words: [0], out: { value: 'off', quality: 'good' } },
    { words: [2], out: { value: 'battery', quality: 'good' } },
    { words: [7], out: { value: '7', quality: 'uncertain', reason: 'unknown-enum' } },
  ])('$words → $out.value', ({ words, out }) => {
    expect(decodeAt(mode, words)).toEqual(out);
  });

  it('signed enum keys match the decoded integer', () => {
    const p = pt({ type: 'int16', enum: { '-1': 'fault', '1': 'ok' } });
    expect(decodeAt(p, [0xffff]).value).toBe('fault');
  });

  it('encodes labels and raw numbers, rejects unknown labels', () => {
    expect(encodeRegisters(mode, 'battery')).toEqual([2]);
    expect(encodeRegisters(mode, 1)).toEqual([1]);
    expect(() => encodeRegisters(mode, 'standby')).toThrow(RangeError);
  });
});

describe('strings', () => {
  // 'A' 0x41 … 'F' 0x46
  it.each([
    { what: 'even length', p: { length: 6 }, words: [0x4142, 0x4344, 0x4546], value: 'ABCDEF' },
    { what: 'odd length ignores the spare byte', p: { length: 5 }, words: [0x4142, 0x4344, 0x4546], value: 'ABCDE' },
    { what: 'stops at NUL', p: { length: 6 }, words: [0x4142, 0x0044, 0x4546], value: 'AB' },
    { what: 'trims trailing spaces', p: { length: 6 }, words: [0x4142, 0x2020, 0x2020], value: 'AB' },
    { what: 'keeps leading spaces', p: { length: 4 }, words: [0x2041, 0x4220], value: ' AB' },
    { what: 'CDAB is high byte first', p: { length: 4, wordOrder: 'CDAB' }, words: [0x4142, 0x4344], value: 'ABCD' },
    { what: 'BADC is low byte first', p: { length: 4, wordOrder: 'BADC' }, words: [0x4241, 0x4443], value: 'ABCD' },
    { what: 'DCBA is low byte first', p: { length: 3, wordOrder: 'DCBA' }, words: [0x4241, 0x0043], value: 'ABC' },
    { what: 'latin1', p: { length: 2 }, words: [0x43e9], value: 'Cé' },
    { what: 'empty', p: { length: 4 }, words: [0, 0], value: '' },
  ] as const)('$what', ({ p, words, value }) => {
    const point = pt({ type: 'string', ...p });
    expect(decodeAt(point, [...words])).toEqual({ value, quality: 'good' });
    expect(decodeAt(point, encodeRegisters(point, value)).value).toBe(value);
  });

  it('encodes NUL-padded, high byte first, and rejects what does not fit', () => {
    const point = pt({ type: 'string', length: 5 });
    expect(encodeRegisters(point, 'AB')).toEqual([0x4142, 0, 0]);
    expect(encodeRegisters(pt({ type: 'string', length: 3, wordOrder: 'BADC' }), 'ABC')).toEqual([0x4241, 0x0043]);
    expect(() => encodeRegisters(point, 'ABCDEF')).toThrow(RangeError);
    expect(() => encodeRegisters(point, '한')).toThrow(RangeError);
    expect(() => encodeRegisters(point, 5)).toThrow(RangeError);
  });
});

describe('short or misplaced blocks never throw', () => {
  const BAD_FRAME = { value: null, quality: 'bad', reason: 'bad-frame' };
  it.each([
    { what: 'uint32 missing its second word', p: { type: 'uint32', address: 10 }, regs: [1, 2], at: 9 },
    { what: 'float64 in a 3-register block', p: { type: 'float64', address: 0 }, regs: [1, 2, 3], at: 0 },
    { what: 'point before the block', p: { type: 'uint16', address: 4 }, regs: [1, 2], at: 5 },
    { what: 'point after the block', p: { type: 'uint16', address: 7 }, regs: [1, 2], at: 5 },
    { what: 'empty block', p: { type: 'int16', address: 0 }, regs: [], at: 0 },
    { what: 'string longer than the block', p: { type: 'string', length: 8, address: 0 }, regs: [0x4142], at: 0 },
    { what: 'bit field outside', p: { type: 'uint16', bit: 1, address: 3 }, regs: [0xffff], at: 0 },
  ] as const)('$what → bad-frame', ({ p, regs, at }) => {
    expect(decodeRegisters(pt(p as Partial<ModbusPoint> & { type: ModbusType }), [...regs], at)).toEqual(BAD_FRAME);
  });

  it('accepts typed arrays', () => {
    expect(decodeRegisters(pt({ type: 'uint32' }), Uint16Array.of(1, 2), 0).value).toBe(65538);
  });
});

describe('coils and discrete inputs', () => {
  const bits = [true, false, true, true];
  it.each([
    { table: 'coil', address: 20, value: true },
    { table: 'coil', address: 21, value: false },
    { table: 'discrete', address: 23, value: true },
  ] as const)('$table $address', ({ table, address, value }) => {
    expect(decodeBits(pt({ type: 'bool', table, address }), bits, 20)).toEqual({ value, quality: 'good' });
  });

  it('out of the block is bad-frame, a register point is a config fault', () => {
    expect(decodeBits(pt({ type: 'bool', table: 'coil', address: 24 }), bits, 20).reason).toBe('bad-frame');
    expect(decodeBits(pt({ type: 'bool', table: 'coil', address: 19 }), bits, 20).reason).toBe('bad-frame');
    expect(decodeBits(pt({ type: 'bool', table: 'holding' }), bits, 0).reason).toBe('config');
    expect(decodeRegisters(pt({ type: 'bool', table: 'coil' }), [1], 0).reason).toBe('config');
  });

  it('encodeBit accepts booleans and 0/1 only', () => {
    const coil = pt({ type: 'bool', table: 'coil' });
    expect(encodeBit(coil, true)).toBe(true);
    expect(encodeBit(coil, 0)).toBe(false);
    expect(() => encodeBit(coil, 2)).toThrow(RangeError);
    expect(() => encodeBit(coil, 'on')).toThrow(RangeError);
    expect(() => encodeBit(coil, null)).toThrow(RangeError);
  });
});

describe('encode range checks', () => {
  it.each([
    { p: { type: 'int16' }, value: 32768 },
    { p: { type: 'int16' }, value: -32769 },
    { p: { type: 'uint16' }, value: -1 },
    { p: { type: 'uint16' }, value: 65535.5 },
    { p: { type: 'uint16', scale: 0.1 }, value: 6553.6 },
    { p: { type: 'int32' }, value: 2 ** 31 },
    { p: { type: 'uint32' }, value: 2 ** 32 },
    { p: { type: 'int64' }, value: 2 ** 63 },
    { p: { type: 'uint64' }, value: 2 ** 64 },
    { p: { type: 'uint64' }, value: -1 },
    { p: { type: 'float32' }, value: 1e39 },
    { p: { type: 'int32' }, value: Number.NaN },
    { p: { type: 'uint16' }, value: Number.POSITIVE_INFINITY },
    { p: { type: 'uint16' }, value: '12' },
    { p: { type: 'uint16' }, value: true },
  ] as const)('$p.type $value throws RangeError', ({ p, value }) => {
    expect(() => encodeRegisters(pt(p), value)).toThrow(RangeError);
  });

  it('rounds integer types to the nearest step, half away from zero', () => {
    expect(encodeRegisters(pt({ type: 'uint16', scale: 0.1 }), 230.14)).toEqual([2301]);
    expect(encodeRegisters(pt({ type: 'int16', scale: 0.1 }), -0.25)).toEqual([0xfffd]);
    expect(encodeRegisters(pt({ type: 'uint16', scale: 0.1, offset: -40 }), 25.3)).toEqual([653]);
  });

  it('floats may carry NaN and infinities (a simulator’s "not available")', () => {
    expect(encodeRegisters(pt({ type: 'float32' }), Number.NaN)).toEqual([0x7fc0, 0]);
    expect(encodeRegisters(pt({ type: 'float32' }), Number.NEGATIVE_INFINITY)).toEqual([0xff80, 0]);
  });
});

describe('the poll loop\'s form (decodeRegisterValue, decodeBitValue)', () => {
  // Every kind of outcome: good values of each type, a sentinel, an unknown enum, a bad frame.
  const cases: Array<{ what: string; p: Partial<ModbusPoint> & Pick<ModbusPoint, 'type'>; regs: number[] }> = [
    { what: 'uint16', p: { type: 'uint16' }, regs: [65535] },
    { what: 'int16', p: { type: 'int16' }, regs: [0xfffe] },
    { what: 'scaled int16', p: { type: 'int16', scale: 0.1 }, regs: [2301] },
    { what: 'float32', p: { type: 'float32' }, regs: [0x42f6, 0xe979] },
    { what: 'bit of a register', p: { type: 'bool', bit: 3 }, regs: [0b1000] },
    { what: 'string', p: { type: 'string', length: 4 }, regs: [0x4142, 0x4344] },
    { what: 'enum label', p: { type: 'uint16', enum: { '2': 'online' } }, regs: [2] },
    { what: 'unknown enum', p: { type: 'uint16', enum: { '2': 'online' } }, regs: [7] },
    { what: 'sentinel', p: { type: 'uint16', sentinel: [0xffff] }, regs: [0xffff] },
    { what: 'bad frame', p: { type: 'uint32' }, regs: [1] },
    { what: 'bit table point', p: { type: 'bool', table: 'coil' }, regs: [1] },
  ];
  it.each(cases)('$what: a good value comes back bare, anything else as decodeRegisters says', ({ p, regs }) => {
    const point = pt(p);
    const full = decodeRegisters(point, regs, 0);
    const fast = decodeRegisterValue(point, regs, 0);
    if (full.quality === 'good') {
      expect(isDecodeFault(fast)).toBe(false);
      expect(fast).toEqual(full.value);
    } else {
      expect(isDecodeFault(fast)).toBe(true);
      expect(fast).toEqual(full);
    }
  });

  it('bits: the value bare when good, the fault otherwise', () => {
    const bits = [false, true];
    expect(decodeBitValue(pt({ type: 'bool', table: 'coil', address: 1 }), bits, 0)).toBe(true);
    expect(decodeBitValue(pt({ type: 'bool', table: 'discrete', address: 0 }), bits, 0)).toBe(false);
    expect(decodeBitValue(pt({ type: 'bool', table: 'coil', address: 2 }), bits, 0)).toEqual({ value: null, quality: 'bad', reason: 'bad-frame' });
  });
});
