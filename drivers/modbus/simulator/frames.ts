/**
 * Modbus framing for the simulator: MBAP (Modbus TCP) and RTU (address + PDU + CRC16), as
 * streaming request parsers that cope with several frames per chunk and frames split across
 * chunks. Parsers call back synchronously so a server can answer inside its 'data' handler.
 */

const CRC_TABLE = buildCrcTable();

function buildCrcTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    table[i] = crc;
  }
  return table;
}

/** Modbus CRC16 (poly 0xA001 reflected, init 0xFFFF); sent low byte first. */
export function crc16(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ CRC_TABLE[(crc ^ buf[i]!) & 0xff]!;
  return crc;
}

/** A PDU is at most 253 bytes (function code + 252 data bytes). */
export const MAX_PDU = 253;
const MAX_RTU_FRAME = 256;
const MIN_RTU_FRAME = 4;

export interface RequestFrame {
  unitId: number;
  /** function code + data; a view into the received chunk, valid only during the callback */
  pdu: Buffer;
  /** MBAP transaction id (TCP framing only) */
  transactionId: number;
}

export interface FrameParser {
  push(chunk: Buffer): void;
  /** bytes waiting for the rest of a frame */
  readonly buffered: number;
  dispose(): void;
}

// ---------------------------------------------------------------- MBAP

export interface MbapParserOptions {
  onFrame(frame: RequestFrame): void;
  /** a header no Modbus TCP client sends; the connection should be closed */
  onError(reason: string): void;
}

export function createMbapParser(opts: MbapParserOptions): FrameParser {
  let pending: Buffer | null = null;
  let failed = false;
  return {
    push(chunk) {
      if (failed) return;
      let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = null;
      let off = 0;
      while (buf.length - off >= 7) {
        const protocol = buf.readUInt16BE(off + 2);
        const length = buf.readUInt16BE(off + 4);
        if (protocol !== 0 || length < 2 || length > MAX_PDU + 1) {
          failed = true;
          opts.onError(`bad MBAP header (protocol ${protocol}, length ${length})`);
          return;
        }
        const end = off + 6 + length;
        if (end > buf.length) break;
        opts.onFrame({
          transactionId: buf.readUInt16BE(off),
          unitId: buf[off + 6]!,
          pdu: buf.subarray(off + 7, end),
        });
        off = end;
      }
      if (off < buf.length) {
        // copy so the kept remainder does not pin a large socket chunk
        buf = buf.subarray(off);
        pending = Buffer.from(buf);
      }
    },
    get buffered() {
      return pending?.length ?? 0;
    },
    dispose() {
      pending = null;
    },
  };
}

export function encodeMbap(transactionId: number, unitId: number, pdu: Uint8Array, pduLength = pdu.length): Buffer {
  const frame = Buffer.allocUnsafe(7 + pduLength);
  frame.writeUInt16BE(transactionId, 0);
  frame.writeUInt16BE(0, 2);
  frame.writeUInt16BE(pduLength + 1, 4);
  frame[6] = unitId;
  frame.set(pdu.subarray(0, pduLength), 7);
  return frame;
}

// ---------------------------------------------------------------- RTU

const NEED_MORE = 0;
const UNKNOWN = -1;

/**
 * Length of an RTU request frame from its first bytes: >0 the length, 0 more bytes needed to
 * tell, -1 a function code whose request length is not known (found by CRC search instead).
 * Function codes the simulator does not serve are listed too, so it can answer them with
 * exception 01 like a real device instead of going silent.
 */
export function rtuRequestLength(buf: Uint8Array, off: number, available: number): number {
  if (available < 2) return NEED_MORE;
  switch (buf[off + 1]) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 8:
      return 8;
    case 7:
    case 11:
    case 12:
    case 17:
      return 4;
    case 15:
    case 16:
      return available < 7 ? NEED_MORE : 9 + buf[off + 6]!;
    case 20:
    case 21:
      return available < 3 ? NEED_MORE : 5 + buf[off + 2]!;
    case 22:
      return 10;
    case 23:
      return available < 11 ? NEED_MORE : 13 + buf[off + 10]!;
    case 24:
      return 6;
    case 43:
      return 7;
    default:
      return UNKNOWN;
  }
}

function crcMatches(buf: Uint8Array, off: number, length: number): boolean {
  const end = off + length;
  return crc16(buf, off, end - 2) === (buf[end - 2]! | (buf[end - 1]! << 8));
}

export interface RtuParserOptions {
  onFrame(frame: RequestFrame): void;
  /** bytes thrown away while resynchronising (CRC error, noise) */
  onDiscard?(bytes: number): void;
  /**
   * Line silence after which an incomplete frame is given up and the buffer rescanned for a
   * valid frame (the RTU inter-frame gap, made generous for ptys and TCP). 0 disables the timer;
   * call resync() yourself.
   */
  silenceMs?: number;
}

export interface RtuParser extends FrameParser {
  /** treat the buffered bytes as ended by a line silence: keep valid frames, drop the rest */
  resync(): void;
}

export function createRtuParser(opts: RtuParserOptions): RtuParser {
  const silenceMs = opts.silenceMs ?? 50;
  let pending: Buffer | null = null;
  let timer: NodeJS.Timeout | undefined;

  const discard = (n: number) => {
    if (n > 0) opts.onDiscard?.(n);
  };

  // set once bytes were thrown away: the stream is out of step until a valid frame shows up
  let lost = false;

  /** A complete, CRC-valid request of known length starting somewhere after off, or -1. */
  const nextValidFrame = (buf: Buffer, off: number): number => {
    for (let at = off + 1; buf.length - at >= MIN_RTU_FRAME; at++) {
      const length = rtuRequestLength(buf, at, buf.length - at);
      if (length >= MIN_RTU_FRAME && length <= buf.length - at && crcMatches(buf, at, length)) return at;
    }
    return -1;
  };

  /** Emits every complete frame from start; returns the offset of the first unconsumed byte. */
  const scan = (buf: Buffer, start: number): number => {
    let off = start;
    const skip = (to: number) => {
      discard(to - off);
      off = to;
      lost = true;
    };
    while (buf.length - off >= MIN_RTU_FRAME) {
      const available = buf.length - off;
      let length = rtuRequestLength(buf, off, available);
      if (length === UNKNOWN) {
        length = 0;
        const max = Math.min(available, MAX_RTU_FRAME);
        for (let n = MIN_RTU_FRAME; n <= max; n++) {
          if (crcMatches(buf, off, n)) {
            length = n;
            break;
          }
        }
        if (length === 0 && available >= MAX_RTU_FRAME) {
          skip(off + 1);
          continue;
        }
      } else if (length > MAX_RTU_FRAME || (length > 0 && length <= available && !crcMatches(buf, off, length))) {
        // CRC error: the frame start was wrong or the bytes were hit by noise; slide by one
        skip(off + 1);
        continue;
      }
      if (length === NEED_MORE || length > available) {
        // out of step, a valid frame further on beats waiting for the line to go quiet
        const next = lost ? nextValidFrame(buf, off) : -1;
        if (next < 0) break;
        skip(next);
        continue;
      }
      opts.onFrame({ unitId: buf[off]!, pdu: buf.subarray(off + 1, off + length - 2), transactionId: 0 });
      off += length;
      lost = false;
    }
    return off;
  };

  const keep = (buf: Buffer, off: number) => {
    pending = off < buf.length ? Buffer.from(buf.subarray(off)) : null;
  };

  const resync = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const buf = pending;
    pending = null;
    if (!buf) return;
    // after a silence the frame in progress is over: find any complete frame inside it
    let off = 0;
    while (off < buf.length) {
      const next = scan(buf, off);
      if (next >= buf.length) break;
      discard(1);
      lost = true;
      off = next + 1;
    }
    // the silence marks a frame boundary: the stream is in step again
    lost = false;
  };

  const armTimer = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending && silenceMs > 0) {
      timer = setTimeout(resync, silenceMs);
      timer.unref();
    }
  };

  return {
    push(chunk) {
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = null;
      keep(buf, scan(buf, 0));
      armTimer();
    },
    resync,
    get buffered() {
      return pending?.length ?? 0;
    },
    dispose() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending = null;
      lost = false;
    },
  };
}

export function encodeRtu(unitId: number, pdu: Uint8Array, pduLength = pdu.length): Buffer {
  const frame = Buffer.allocUnsafe(pduLength + 3);
  frame[0] = unitId;
  frame.set(pdu.subarray(0, pduLength), 1);
  const crc = crc16(frame, 0, pduLength + 1);
  frame[pduLength + 1] = crc & 0xff;
  frame[pduLength + 2] = crc >>> 8;
  return frame;
}
