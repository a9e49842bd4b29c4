import { describe, expect, it } from 'vitest';
import { decodeTimes, decodeValues, encodeTimes, encodeValues } from '../../gateway/snapshots/chunk-codec.js';

describe('snapshot chunk columns', () => {
  it('keeps times and numeric values exactly, missing values as null', () => {
    const ts = [1_764_000_000_000, 1_764_000_001_000, 1_764_000_002_500];
    const values = [21.4, null, -0.1 + 0.3];
    const storedTs = encodeTimes(ts);
    const storedValues = encodeValues(values);
    expect(Buffer.isBuffer(storedValues)).toBe(true);
    expect(decodeTimes(storedTs)).toEqual(ts);
    expect(decodeValues(storedValues)).toEqual(values);
  });

  it('keeps text values as JSON', () => {
    const values = ['cooling', null, 3];
    const stored = encodeValues(values);
    expect(typeof stored).toBe('string');
    expect(decodeValues(stored)).toEqual(values);
  });

  it('reads chunks written as JSON before the blob form', () => {
    expect(decodeTimes('[1,2,3]')).toEqual([1, 2, 3]);
    expect(decodeValues('[1.5,null,"x"]')).toEqual([1.5, null, 'x']);
  });

  it('reads a blob at any byte offset (SQLite need not align it)', () => {
    const blob = encodeTimes([5, 6]);
    const shifted = Buffer.concat([Buffer.from([0]), blob]).subarray(1);
    expect(decodeTimes(shifted)).toEqual([5, 6]);
  });
});
