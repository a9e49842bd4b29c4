/**
 * Word and byte order of multi-register values, shared by the decoder (codec.ts) and the encoder
 * (encode.ts) so both read a vendor's order the same way.
 */
import type { WordOrder } from './point.js';

/** CDAB and DCBA send the least significant word first. */
export function swapsWords(order: WordOrder): boolean {
  return order === 'CDAB' || order === 'DCBA';
}

/** BADC and DCBA send the low byte of each word first (strings: the odd character first). */
export function swapsBytes(order: WordOrder): boolean {
  return order === 'BADC' || order === 'DCBA';
}

// One scratch buffer for every 32/64-bit conversion: decoding and encoding are synchronous, so it
// is never shared between two calls in flight, and it saves an allocation per value on the hot path.
const scratch = new DataView(new ArrayBuffer(8));

/**
 * Put `width` registers into the scratch buffer as big-endian bytes of the value (most significant
 * first). The mapping is its own inverse, so writeWords uses the same index arithmetic.
 */
export function readWords(registers: ArrayLike<number>, at: number, width: number, order: WordOrder): DataView {
  const swapWords = swapsWords(order);
  const swapBytes = swapsBytes(order);
  for (let i = 0; i < width; i++) {
    let word = (registers[at + (swapWords ? width - 1 - i : i)] as number) & 0xffff;
    if (swapBytes) word = ((word & 0xff) << 8) | (word >>> 8);
    scratch.setUint16(i * 2, word);
  }
  return scratch;
}

/** `fill` writes the value big-endian into the view; returns it as `width` registers in `order`. */
export function writeWords(width: number, order: WordOrder, fill: (view: DataView) => void): number[] {
  fill(scratch);
  const swapWords = swapsWords(order);
  const swapBytes = swapsBytes(order);
  const words = new Array<number>(width);
  for (let i = 0; i < width; i++) {
    let word = scratch.getUint16((swapWords ? width - 1 - i : i) * 2);
    if (swapBytes) word = ((word & 0xff) << 8) | (word >>> 8);
    words[i] = word;
  }
  return words;
}
