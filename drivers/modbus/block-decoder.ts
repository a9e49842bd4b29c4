/**
 * Turns one read request's reply into samples, the poll loop's hot path. What a point needs is
 * worked out once per request (a plan changes only when a device refuses a merged read), so a good
 * reply costs per point one sample object and, for the common plain types, a couple of integer
 * operations: no type switch, no option checks, no intermediate result.
 *
 * "Plain" is a 16-bit integer or a float32 in a word order without byte swaps, with no scale,
 * offset, binary point, bit, sentinel or enum: most points of facility equipment. Every other
 * point goes through codec.ts, which stays the one definition of what a register means; the fast
 * path gives the same value (the unit tests compare them on random maps).
 */
import type { PointValue, Sample } from '../../core/types.js';
import { type DecodedValue, decodeBitValue, decodeRegisterValue, isDecodeFault } from './codec.js';
import type { ReadRequest } from './planner.js';
import { isBitTable, type ModbusPoint } from './point.js';

/** How one point is decoded (see the file comment); small integers, so the switch is a jump table. */
const Kind = {
  /** codec.ts decides */
  General: 0,
  Uint16: 1,
  Int16: 2,
  /** float32, high word first (ABCD) */
  Float32: 3,
  /** float32, low word first (CDAB) */
  Float32Swapped: 4,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

export interface BlockDecoder {
  /**
   * Writes each point's sample to samples[its position in the device's point order]; `reply` is
   * the request's registers, or its bits for a coil or discrete-input request.
   */
  decode(reply: ArrayLike<number> | ArrayLike<boolean>, ts: number, samples: (Sample | undefined)[]): void;
}

// float32 from two words without a DataView call per value: both views share one buffer, so the
// platform's byte order cancels out.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** `slotOf` gives a point's position in the device's point order. */
export function createBlockDecoder(request: ReadRequest, slotOf: (point: ModbusPoint) => number): BlockDecoder {
  const { points, address, count } = request;
  const n = points.length;
  const slots = new Int32Array(n);
  const offsets = new Int32Array(n);
  const kinds = new Uint8Array(n);
  const ids = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const point = points[i]!;
    slots[i] = slotOf(point);
    offsets[i] = point.address - address;
    kinds[i] = kindOf(point);
    ids[i] = point.id;
  }

  const fromRegisters = (registers: ArrayLike<number>, ts: number, samples: (Sample | undefined)[]) => {
    // A short block (checked by the client, so never seen) goes the checked way for every point.
    const short = registers.length < count;
    for (let i = 0; i < n; i++) {
      const at = offsets[i]!;
      let value: number;
      switch (short ? Kind.General : kinds[i]) {
        case Kind.Uint16:
          value = registers[at]! & 0xffff;
          break;
        case Kind.Int16:
          value = (registers[at]! << 16) >> 16;
          break;
        case Kind.Float32:
          u32[0] = ((registers[at]! & 0xffff) << 16) | (registers[at + 1]! & 0xffff);
          value = f32[0]!;
          // NaN and infinities are how devices say "not available" (as codec.ts reads them).
          if (!Number.isFinite(value)) {
            samples[slots[i]!] = faultSample(ids[i]!, ts, NOT_AVAILABLE);
            continue;
          }
          break;
        case Kind.Float32Swapped:
          u32[0] = ((registers[at + 1]! & 0xffff) << 16) | (registers[at]! & 0xffff);
          value = f32[0]!;
          if (!Number.isFinite(value)) {
            samples[slots[i]!] = faultSample(ids[i]!, ts, NOT_AVAILABLE);
            continue;
          }
          break;
        default:
          samples[slots[i]!] = toSample(ids[i]!, ts, decodeRegisterValue(points[i]!, registers, address));
          continue;
      }
      samples[slots[i]!] = { pointId: ids[i]!, ts, value, quality: 'good' };
    }
  };
  const fromBits = (bits: ArrayLike<boolean>, ts: number, samples: (Sample | undefined)[]) => {
    for (let i = 0; i < n; i++) samples[slots[i]!] = toSample(ids[i]!, ts, decodeBitValue(points[i]!, bits, address));
  };
  return { decode: (isBitTable(request.table) ? fromBits : fromRegisters) as BlockDecoder['decode'] };
}

function kindOf(point: ModbusPoint): Kind {
  const plain =
    (point.table === 'holding' || point.table === 'input') &&
    point.bit === undefined &&
    point.scale === undefined &&
    point.offset === undefined &&
    !point.binaryPoint &&
    point.sentinel === undefined &&
    point.enum === undefined;
  if (!plain) return Kind.General;
  switch (point.type) {
    case 'uint16':
      return Kind.Uint16;
    case 'int16':
      return Kind.Int16;
    case 'float32':
      if (point.wordOrder === 'ABCD') return Kind.Float32;
      if (point.wordOrder === 'CDAB') return Kind.Float32Swapped;
      return Kind.General;
    default:
      return Kind.General;
  }
}

const NOT_AVAILABLE: DecodedValue = { value: null, quality: 'bad', reason: 'not-available' };

/** A good value becomes the usual 4-field sample; a fault keeps its quality and reason. */
export function toSample(pointId: string, ts: number, decoded: PointValue | DecodedValue): Sample {
  if (!isDecodeFault(decoded)) return { pointId, ts, value: decoded, quality: 'good' };
  return faultSample(pointId, ts, decoded);
}

function faultSample(pointId: string, ts: number, decoded: DecodedValue): Sample {
  const sample: Sample = { pointId, ts, value: decoded.value, quality: decoded.quality };
  if (decoded.reason !== undefined) sample.reason = decoded.reason;
  return sample;
}
