import { describe, expect, it } from 'vitest';
import {
  crc16,
  createMbapParser,
  createRtuParser,
  encodeMbap,
  encodeRtu,
  type RequestFrame,
  rtuRequestLength,
} from '../../drivers/modbus/simulator/frames.js';
import { createRng } from '../../core/sim-random.js';
import { mangle } from '../../drivers/modbus/simulator/responder.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

interface Seen {
  unitId: number;
  transactionId: number;
  pdu: string;
}

function collectMbap() {
  const frames: Seen[] = [];
  const errors: string[] = [];
  const parser = createMbapParser({
    onFrame: (f: RequestFrame) => frames.push({ unitId: f.unitId, transactionId: f.transactionId, pdu: f.pdu.toString('hex') }),
    onError: (reason) => errors.push(reason),
  });
  return { parser, frames, errors };
}

function collectRtu(silenceMs = 0) {
  const frames: Seen[] = [];
  let discarded = 0;
  const parser = createRtuParser({
    onFrame: (f) => frames.push({ unitId: f.unitId, transactionId: f.transactionId, pdu: f.pdu.toString('hex') }),
    onDiscard: (n) => {
      discarded += n;
    },
    silenceMs,
  });
  return { parser, frames, discarded: () => discarded };
}

/** Every way of cutting a byte stream into chunks of 1..3 bytes, plus one chunk. */
function chunkings(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [[bytes]];
  for (const size of [1, 2, 3, 5, 7]) {
    const parts: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
    out.push(parts);
  }
  return out;
}

describe('crc16', () => {
  it.each([
    ['01 03 00 00 00 0A', 0xcdc5],
    ['11 03 00 6B 00 03', 0x8776], // the Modbus over serial line spec example
    [Buffer.from('123456789').toString('hex'), 0x4b37], // CRC-16/MODBUS check value
  ])('crc16(%s) = %d', (bytes, crc) => {
    expect(crc16(hex(bytes))).toBe(crc);
  });

  it('encodeRtu appends the CRC low byte first', () => {
    expect(encodeRtu(0x11, hex('03 006B 0003')).toString('hex')).toBe('1103006b00037687');
  });
});

describe('MBAP parser', () => {
  const one = encodeMbap(0x1234, 7, hex('03 0000 000A'));
  const two = encodeMbap(0x0001, 1, hex('10 0000 0002 04 0001 0002'));
  const three = encodeMbap(0xffff, 255, hex('05 0001 FF00'));
  const stream = Buffer.concat([one, two, three]);
  const expected = [
    { transactionId: 0x1234, unitId: 7, pdu: '030000000a' },
    { transactionId: 1, unitId: 1, pdu: '10000000020400010002' },
    { transactionId: 0xffff, unitId: 255, pdu: '050001ff00' },
  ];

  it('encodes the header: transaction id, protocol 0, length = unit + PDU', () => {
    expect(one.toString('hex')).toBe('12340000000607030000000a');
  });

  it.each(chunkings(stream).map((parts) => [parts.length, parts] as const))(
    'yields the same three frames from %i chunk(s)',
    (_n, parts) => {
      const { parser, frames, errors } = collectMbap();
      for (const part of parts) parser.push(part);
      expect(errors).toEqual([]);
      expect(frames).toEqual(expected);
      expect(parser.buffered).toBe(0);
    },
  );

  it('keeps a partial frame until the rest arrives', () => {
    const { parser, frames } = collectMbap();
    parser.push(stream.subarray(0, one.length + 3));
    expect(frames).toHaveLength(1);
    expect(parser.buffered).toBe(3);
    parser.push(stream.subarray(one.length + 3));
    expect(frames).toHaveLength(3);
  });

  it.each([
    ['protocol id not 0', hex('0001 0001 0006 01 03 0000 0001')],
    ['length 1 (no function code)', hex('0001 0000 0001 01')],
    ['length beyond 254', hex('0001 0000 0100 01 03')],
  ])('reports a bad header: %s', (_name, bytes) => {
    const { parser, frames, errors } = collectMbap();
    parser.push(bytes);
    expect(frames).toEqual([]);
    expect(errors).toHaveLength(1);
  });
});

describe('RTU parser', () => {
  const read = encodeRtu(1, hex('03 0000 000A'));
  const write = encodeRtu(2, hex('10 0010 0002 04 00AA 00BB'));
  const coils = encodeRtu(3, hex('0F 0000 000A 02 FF 03'));
  const stream = Buffer.concat([read, write, coils]);
  const expected = [
    { unitId: 1, transactionId: 0, pdu: '030000000a' },
    { unitId: 2, transactionId: 0, pdu: '10001000020400aa00bb' },
    { unitId: 3, transactionId: 0, pdu: '0f0000000a02ff03' },
  ];

  it.each(chunkings(stream).map((parts) => [parts.length, parts] as const))(
    'yields the same three frames from %i chunk(s)',
    (_n, parts) => {
      const { parser, frames } = collectRtu();
      for (const part of parts) parser.push(part);
      expect(frames).toEqual(expected);
      expect(parser.buffered).toBe(0);
    },
  );

  it.each([
    ['fc 3', '01 03 0000 000A', 8],
    ['fc 5', '01 05 0000 FF00', 8],
    ['fc 16 (byte count 4)', '01 10 0000 0002 04', 13],
    ['fc 15 (byte count 2)', '01 0F 0000 000A 02', 11],
    ['fc 16 before its byte count', '01 10 0000 00', 0],
    ['fc 43 (read device id)', '01 2B 0E 01', 7],
    ['fc 0x41 (unknown)', '01 41', -1],
  ])('request length of %s', (_name, bytes, length) => {
    const buf = hex(bytes);
    expect(rtuRequestLength(buf, 0, buf.length)).toBe(length);
  });

  it('drops bytes with a CRC error until a valid frame starts', () => {
    const { parser, frames, discarded } = collectRtu();
    const corrupt = Buffer.from(read);
    corrupt[7]! ^= 0xff;
    parser.push(Buffer.concat([corrupt, write]));
    expect(frames).toEqual([expected[1]]);
    expect(discarded()).toBe(8);
  });

  it('finds a frame after line noise once the line goes silent', () => {
    const { parser, frames } = collectRtu();
    // the noise looks like the start of a long fc 16 write, so the parser waits for more bytes
    parser.push(Buffer.concat([hex('05 10 0000 0040 80'), read]));
    expect(frames).toEqual([]);
    parser.resync();
    expect(frames).toEqual([expected[0]]);
    expect(parser.buffered).toBe(0);
  });

  it('resynchronises by itself after silenceMs', async () => {
    const { parser, frames } = collectRtu(20);
    parser.push(Buffer.concat([hex('05 10 0000 0040 80'), read]));
    expect(frames).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(frames).toEqual([expected[0]]);
    parser.dispose();
  });

  it('throws away an incomplete frame at a silence', () => {
    const { parser, frames } = collectRtu();
    parser.push(read.subarray(0, 5));
    parser.resync();
    expect(parser.buffered).toBe(0);
    parser.push(read);
    expect(frames).toEqual([expected[0]]);
  });

  it('frames an unknown function code by its CRC', () => {
    const { parser, frames } = collectRtu();
    const custom = encodeRtu(9, hex('41 0102 03'));
    parser.push(Buffer.concat([custom, read]));
    expect(frames).toEqual([{ unitId: 9, transactionId: 0, pdu: '41010203' }, expected[0]]);
  });
});

describe('garbage responses', () => {
  const rng = createRng(7);
  const rtu = encodeRtu(1, hex('03 04 0001 0002'));
  const mbap = encodeMbap(5, 1, hex('03 04 0001 0002'));

  it('rtu bad-crc keeps the length but breaks the CRC', () => {
    const bad = mangle(rtu, 'rtu', 'bad-crc', rng);
    expect(bad).toHaveLength(rtu.length);
    expect(bad.subarray(0, -2)).toEqual(rtu.subarray(0, -2));
    expect(crc16(bad, 0, bad.length - 2)).not.toBe(bad.readUInt16LE(bad.length - 2));
  });

  it('rtu short is one byte shorter with a valid CRC', () => {
    const bad = mangle(rtu, 'rtu', 'short', rng);
    expect(bad).toHaveLength(rtu.length - 1);
    expect(crc16(bad, 0, bad.length - 2)).toBe(bad.readUInt16LE(bad.length - 2));
  });

  it('mbap short keeps a consistent header one byte shorter', () => {
    for (const mode of ['short', 'bad-crc'] as const) {
      const bad = mangle(mbap, 'mbap', mode, rng);
      expect(bad).toHaveLength(mbap.length - 1);
      expect(bad.readUInt16BE(4)).toBe(bad.length - 6);
      expect(bad.readUInt16BE(0)).toBe(5);
    }
  });

  it('noise randomises every byte, the MBAP header too', () => {
    const bad = mangle(mbap, 'mbap', 'noise', rng);
    expect(bad).toHaveLength(mbap.length);
    expect(bad.subarray(0, 7)).not.toEqual(mbap.subarray(0, 7));
  });

  it('mbap random keeps the header and randomises the PDU', () => {
    const bad = mangle(mbap, 'mbap', 'random', rng);
    expect(bad.subarray(0, 7)).toEqual(mbap.subarray(0, 7));
    expect(bad.subarray(7)).not.toEqual(mbap.subarray(7));
  });
});
