/** OPC UA DataValues → samples: quality from the status code's severity, values of every type. */
import { describe, expect, it } from 'vitest';
import { type DataValueLike, qualityOf, statusName, toSample, variantValue } from '../../drivers/opcua/data-value.js';
import { isNodeIdText, parseBrowsePath } from '../../drivers/opcua/node-address.js';
import type { OpcuaPoint } from '../../drivers/opcua/point.js';

const POINT: OpcuaPoint = { id: 'crac3.supply', key: 'supply', name: 'Supply', nodeId: 'ns=1;s=X' };
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);

function dv(statusValue: number, statusNameText: string, dataType: number, value: unknown, extra: Partial<DataValueLike> = {}): DataValueLike {
  return { statusCode: { value: statusValue, name: statusNameText }, value: { dataType, arrayType: 0, value }, ...extra };
}

describe('opcua status codes', () => {
  it.each([
    [0x00000000, 'good'],
    [0x002f0000, 'good'], // GoodOverload-like info bits stay good
    [0x40920000, 'uncertain'], // UncertainNoCommunicationLastUsableValue
    [0x408f0000, 'uncertain'],
    [0x80340000, 'bad'], // BadNodeIdUnknown
    [0x80020000, 'bad'],
  ] as const)('0x%s → %s', (code, quality) => {
    expect(qualityOf(code)).toBe(quality);
  });

  it('names the status without flag suffixes, or by its hex code when unnamed', () => {
    expect(statusName({ value: 0, name: 'Good#StructureChanged' })).toBe('Good');
    expect(statusName({ value: 0x80ab0000, name: '' })).toBe('0x80ab0000');
  });
});

describe('opcua values', () => {
  it.each([
    ['Boolean', 1, true, true],
    ['Int32', 6, -42, -42],
    ['Double', 11, 21.5, 21.5],
    ['String', 12, 'cooling', 'cooling'],
    ['Int64 (words)', 8, [287, 1912276171], 1234567890123],
    ['negative Int64', 8, [0xffffffff, 0xfffffffe], -2],
    ['UInt64', 9, [1, 0], 4294967296],
    ['DateTime', 13, new Date(NOW), NOW],
    ['LocalizedText', 21, { text: 'Hall A', locale: 'en' }, 'Hall A'],
    ['QualifiedName', 20, { name: 'Pump', namespaceIndex: 2 }, 'Pump'],
    ['ByteString', 15, Buffer.from([1, 2, 3]), 'AQID'],
    ['Null', 0, null, null],
    ['ExtensionObject', 22, { some: 'struct' }, undefined],
  ])('%s', (_label, dataType, value, expected) => {
    expect(variantValue({ dataType, arrayType: 0, value })).toEqual(expected);
  });

  it('keeps arrays whole as JSON text', () => {
    expect(variantValue({ dataType: 11, arrayType: 1, value: new Float64Array([1.5, 2]) })).toBe('[1.5,2]');
    expect(variantValue({ dataType: 8, arrayType: 1, value: [[0, 5]] })).toBe('[5]');
  });
});

describe('opcua samples', () => {
  const source = new Date(NOW - 60_000);
  const server = new Date(NOW - 1000);
  it.each([
    ['good with the source timestamp', dv(0, 'Good', 11, 20.5, { sourceTimestamp: source, serverTimestamp: server }), { ts: source.getTime(), value: 20.5, quality: 'good' }],
    ['server timestamp when the source gave none', dv(0, 'Good', 11, 20.5, { sourceTimestamp: null, serverTimestamp: server }), { ts: server.getTime(), value: 20.5, quality: 'good' }],
    ['now when neither is given', dv(0, 'Good', 1, false), { ts: NOW, value: false, quality: 'good' }],
    ['bad: no value, the status as reason', dv(0x80340000, 'BadNodeIdUnknown', 0, null), { ts: NOW, value: null, quality: 'bad', reason: 'BadNodeIdUnknown' }],
    ['uncertain keeps the value', dv(0x408f0000, 'UncertainLastUsableValue', 11, 3.5), { ts: NOW, value: 3.5, quality: 'uncertain', reason: 'UncertainLastUsableValue' }],
    ['good but empty', dv(0, 'Good', 0, null), { ts: NOW, value: null, quality: 'bad', reason: 'not-available' }],
    ['a structure the gateway cannot store', dv(0, 'Good', 22, {}), { ts: NOW, value: null, quality: 'bad', reason: 'unsupported-type' }],
  ])('%s', (_label, value, expected) => {
    expect(toSample(POINT, value, NOW)).toEqual({ pointId: 'crac3.supply', ...expected });
  });

  it('scales numbers, not booleans', () => {
    const scaled = { ...POINT, scale: 0.1, offset: -40 };
    expect(toSample(scaled, dv(0, 'Good', 6, 650), NOW).value).toBeCloseTo(25);
    expect(toSample(scaled, dv(0, 'Good', 1, true), NOW).value).toBe(true);
  });
});

describe('opcua addresses', () => {
  it.each([
    ['ns=2;s=CRAC-3.SupplyAirTemp', true],
    ['ns=3;i=1001', true],
    ['i=2258', true],
    ['ns=1;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63', true],
    ['ns=1;b=AQID', true],
    ['ns=2;x=1', false],
    ['2;s=Foo', false],
    ['ns=1;i=abc', false],
  ])('%s is a NodeId: %s', (text, ok) => {
    expect(isNodeIdText(text)).toBe(ok);
  });

  it('parses browse paths with and without namespaces', () => {
    expect(parseBrowsePath('/Cooling/2:CRAC-3/SupplyAirTemp')).toEqual([
      { name: 'Cooling' },
      { namespace: 2, name: 'CRAC-3' },
      { name: 'SupplyAirTemp' },
    ]);
    expect(parseBrowsePath('Cooling//X')).toBe('has an empty segment ("//")');
    expect(parseBrowsePath('/')).toBe('is empty');
  });
});
