import { describe, expect, it } from 'vitest';
import type { ModbusPoint, ModbusTable, ModbusType } from '../../drivers/modbus/point.js';
import { handlePdu, type PduTarget } from '../../drivers/modbus/simulator/pdu.js';
import { createRegisterBank, type RegisterBank } from '../../drivers/modbus/simulator/register-bank.js';
import { createServerStats, createSimulatedSlave, type DeviceValues } from '../../drivers/modbus/simulator/slave.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function pt(key: string, table: ModbusTable, address: number, type: ModbusType = 'uint16'): ModbusPoint {
  return { id: `dev.${key}`, key, name: key, table, address, type, wordOrder: 'ABCD' };
}

const POINTS: ModbusPoint[] = [
  pt('h0', 'holding', 0),
  pt('h1', 'holding', 1),
  pt('h10', 'holding', 10, 'float32'),
  pt('h20', 'holding', 20),
  pt('i0', 'input', 0),
  pt('i1', 'input', 1),
  pt('i2', 'input', 2, 'int16'),
  ...Array.from({ length: 10 }, (_, i) => pt(`c${i}`, 'coil', i, 'bool')),
  ...Array.from({ length: 4 }, (_, i) => pt(`d${i}`, 'discrete', i, 'bool')),
];

function setup() {
  const bank = createRegisterBank(POINTS);
  bank.setWords('holding', 0, [0x1234, 0xabcd]);
  bank.setWords('holding', 10, [0x42f6, 0xe979]);
  bank.setWords('input', 0, [1, 2, 0xfffe]);
  // coils 0, 2, 9 on: 0b0000_0101, 0b10
  for (const i of [0, 2, 9]) bank.setBit('coil', i, true);
  bank.setBit('discrete', 3, true);
  const writes: string[] = [];
  const target: PduTarget = {
    bank,
    forcedException: () => 0,
    written: (table, address, count) => writes.push(`${table}:${address}+${count}`),
  };
  return { bank, target, writes };
}

function answer(target: PduTarget, request: string): string {
  const out = Buffer.alloc(260);
  const n = handlePdu(target, hex(request), out);
  return out.subarray(0, n).toString('hex');
}

describe('handlePdu', () => {
  it.each([
    // reads
    ['fc3 two holding registers', '03 0000 0002', '03 04 1234 abcd'],
    ['fc3 a float32 pair', '03 000A 0002', '03 04 42f6 e979'],
    ['fc4 input registers', '04 0000 0003', '04 06 0001 0002 fffe'],
    ['fc1 ten coils, LSB first', '01 0000 000A', '01 02 05 02'],
    ['fc1 coils from an offset', '01 0002 0001', '01 01 01'],
    ['fc2 discrete inputs', '02 0000 0004', '02 01 08'],
    // illegal address: anything not backed by a point
    ['fc3 into the hole after register 1', '03 0000 0003', '83 02'],
    ['fc3 half of the float32 and beyond', '03 000B 0002', '83 02'],
    ['fc3 beyond every point', '03 0100 0001', '83 02'],
    ['fc3 at 65535', '03 FFFF 0001', '83 02'],
    ['fc4 holding addresses are not input addresses', '04 0014 0001', '84 02'],
    ['fc2 discrete beyond 3', '02 0000 0005', '82 02'],
    // illegal value: counts outside the spec
    ['fc3 count 0', '03 0000 0000', '83 03'],
    ['fc3 count 126', '03 0000 007E', '83 03'],
    ['fc3 count 125 is legal but unbacked', '03 0000 007D', '83 02'],
    ['fc1 count 2001', '01 0000 07D1', '81 03'],
    ['fc1 count 2000 is legal but unbacked', '01 0000 07D0', '81 02'],
    ['fc3 truncated request', '03 0000', '83 03'],
    // illegal function
    ['fc 0x41 (user defined)', '41 0000', 'c1 01'],
    ['fc 8 (diagnostics, not served)', '08 0000 1234', '88 01'],
    ['fc 43 (device identification, not served)', '2B 0E 01 00', 'ab 01'],
    // writes
    ['fc5 coil on', '05 0003 FF00', '05 0003 ff00'],
    ['fc5 coil off', '05 0000 0000', '05 0000 0000'],
    ['fc5 value other than FF00/0000', '05 0003 1234', '85 03'],
    ['fc5 unbacked coil', '05 0032 FF00', '85 02'],
    ['fc6 holding register', '06 0014 BEEF', '06 0014 beef'],
    ['fc6 into a hole', '06 0005 0001', '86 02'],
    ['fc15 ten coils', '0F 0000 000A 02 FF 00', '0f 0000 000a'],
    ['fc15 byte count not matching the quantity', '0F 0000 000A 01 FF', '8f 03'],
    ['fc15 beyond the coils', '0F 0008 0004 01 0F', '8f 02'],
    ['fc16 two registers', '10 000A 0002 04 0000 0001', '10 000a 0002'],
    ['fc16 count 124', `10 0000 007C F8 ${'0000'.repeat(124)}`, '90 03'],
    ['fc16 byte count not matching', '10 000A 0002 02 0000', '90 03'],
    ['fc16 across a hole', '10 0001 0002 04 0000 0000', '90 02'],
  ])('%s', (_name, request, response) => {
    const { target } = setup();
    expect(answer(target, request)).toBe(response.replace(/\s+/g, ''));
  });

  it('writes land in the bank and are reported', () => {
    const { bank, target, writes } = setup();
    answer(target, '05 0001 FF00');
    answer(target, '06 0014 BEEF');
    answer(target, '0F 0000 000A 02 00 02');
    answer(target, '10 000A 0002 04 3F80 0000');
    expect(bank.getWords('holding', 20, 1)).toEqual([0xbeef]);
    expect(bank.getWords('holding', 10, 2)).toEqual([0x3f80, 0]);
    expect(Array.from({ length: 10 }, (_, i) => bank.getBit('coil', i))).toEqual([
      false, false, false, false, false, false, false, false, false, true,
    ]);
    expect(writes).toEqual(['coil:1+1', 'holding:20+1', 'coil:0+10', 'holding:10+2']);
  });

  it('refused writes change nothing', () => {
    const { bank, target, writes } = setup();
    answer(target, '10 0001 0002 04 FFFF FFFF');
    answer(target, '05 0003 1234');
    expect(bank.getWords('holding', 0, 2)).toEqual([0x1234, 0xabcd]);
    expect(bank.getBit('coil', 3)).toBe(false);
    expect(writes).toEqual([]);
  });
});

describe('register bank', () => {
  const points = [pt('a', 'holding', 0), pt('b', 'holding', 1), pt('c', 'holding', 10, 'uint32'), pt('s', 'input', 5, 'string')];
  points[3]!.length = 5;

  it.each([
    [0, 'holding', 0, 2, true],
    [0, 'holding', 0, 3, false],
    [0, 'holding', 10, 2, true],
    [0, 'holding', 11, 2, false],
    [0, 'input', 5, 3, true], // a 5-character string spans 3 registers
    [0, 'input', 5, 4, false],
    [8, 'holding', 0, 12, true], // hole 2..9 (8 registers) is filled
    [7, 'holding', 0, 12, false],
    [8, 'holding', 0, 13, false], // nothing beyond the last point
    [100, 'coil', 0, 1, false], // a table without points has no addresses
  ] as const)('tolerance %i: has(%s, %i, %i) = %s', (tolerance, table, address, count, expected) => {
    const bank = createRegisterBank(points, { tolerance });
    expect(bank.has(table, address, count)).toBe(expected);
  });

  it('refuses to store outside its points', () => {
    const bank = createRegisterBank(points);
    expect(() => bank.setWords('holding', 2, [1])).toThrow(RangeError);
    expect(() => bank.getBit('coil', 0)).toThrow(RangeError);
  });
});

describe('simulated slave faults', () => {
  const noValues: DeviceValues = { hold() {}, release() {}, value: () => null, values: () => ({}) };

  function slave() {
    const bank: RegisterBank = createRegisterBank(POINTS);
    bank.setWords('holding', 0, [7, 8]);
    const stats = createServerStats();
    const s = createSimulatedSlave({ deviceId: 'dev', unitId: 1, bank, values: noValues, stats, written: () => {} });
    const out = Buffer.alloc(260);
    const ask = (request: string) => {
      const d = s.serve(hex(request), out);
      return d.action === 'reply' ? { ...d, pdu: out.subarray(0, d.length).toString('hex') } : d;
    };
    return { s, ask, stats };
  }

  it('answers normally and counts requests', () => {
    const { s, ask } = slave();
    expect(ask('03 0000 0002')).toEqual({ action: 'reply', length: 6, delayMs: 0, pdu: '030400070008' });
    expect(s.counters.requests).toBe(1);
    // responses are counted by the server once written
    expect(s.counters.responses).toBe(0);
  });

  it('a dead slave stays silent but still counts requests', () => {
    const { s, ask } = slave();
    s.dead = true;
    expect(ask('03 0000 0002')).toEqual({ action: 'silent' });
    expect(s.counters.requests).toBe(1);
  });

  it('carries its delay into the decision', () => {
    const { s, ask } = slave();
    s.delayMs = 250;
    expect(ask('03 0000 0001')).toMatchObject({ action: 'reply', delayMs: 250 });
  });

  it('nextResponse applies once', () => {
    const { s, ask } = slave();
    s.nextResponse = { kind: 'exception', code: 6 };
    expect(ask('03 0000 0002')).toMatchObject({ pdu: '8306' });
    expect(s.nextResponse).toBeUndefined();
    expect(ask('03 0000 0002')).toMatchObject({ pdu: '030400070008' });
    s.nextResponse = { kind: 'garbage', mode: 'random' };
    expect(ask('03 0000 0002')).toMatchObject({ garbage: 'random', pdu: '030400070008' });
    s.nextResponse = { kind: 'garbage' };
    expect(ask('03 0000 0002')).toMatchObject({ garbage: 'bad-crc' });
    s.nextResponse = { kind: 'drop' };
    expect(ask('03 0000 0002')).toEqual({ action: 'drop' });
  });

  it('exceptionFor hits every request touching the address until cleared', () => {
    const { s, ask } = slave();
    s.exceptionFor('holding', 1);
    s.exceptionFor('holding', 20, 4);
    expect(ask('03 0000 0002')).toMatchObject({ pdu: '8302' });
    expect(ask('03 0000 0001')).toMatchObject({ pdu: '03020007' });
    expect(ask('06 0014 0001')).toMatchObject({ pdu: '8604' });
    expect(ask('04 0000 0001')).toMatchObject({ pdu: '04020000' });
    s.clearFaults();
    expect(ask('03 0000 0002')).toMatchObject({ pdu: '030400070008' });
  });

  it('counters.connections follows the server', () => {
    const { s, stats } = slave();
    stats.connections = 3;
    expect(s.counters.connections).toBe(3);
  });
});
