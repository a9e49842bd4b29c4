/**
 * A batch's items as the lines of one buffer: each item's JSON exactly as the HTTP body carries it
 * (batch.ts encodes it once), one per line. JSON text never holds a raw newline (it is escaped in
 * strings), so the transport cuts the buffer at each '\n' into one message per item without copying.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/**
 * `[{..},{..}]` → `{..}\n{..}`. Splits at the commas between the array's own elements only: commas in
 * an event's nested data or inside strings stay where they are.
 */
export function itemLines(itemsJson: string): string {
  const parts: string[] = [];
  let depth = 0;
  let start = 1;
  const end = itemsJson.length;
  for (let i = 0; i < end; i++) {
    const c = itemsJson.charCodeAt(i);
    if (c === QUOTE) {
      // Skip the string: a quote preceded by a backslash is part of it.
      for (i++; i < end; i++) {
        const s = itemsJson.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
      if (depth === 0 && i > start) parts.push(itemsJson.slice(start, i));
    } else if (c === COMMA && depth === 1) {
      parts.push(itemsJson.slice(start, i));
      start = i + 1;
    }
  }
  return parts.join('\n');
}

/**
 * The same for readings, faster: a reading is a flat object (no nested braces), and a quote inside
 * a JSON string is always escaped, so `},{"seq":` occurs exactly between two readings.
 */
export function readingLines(itemsJson: string): string {
  return itemsJson.slice(1, -1).replaceAll('},{"seq":', '}\n{"seq":');
}

/** The lines of `buffer` as views (no copies), in order. */
export function splitLines(buffer: Buffer, count: number): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let n = 0; n < count; n++) {
    const nl = buffer.indexOf(0x0a, start);
    const stop = nl < 0 ? buffer.length : nl;
    lines.push(buffer.subarray(start, stop));
    start = stop + 1;
  }
  return lines;
}
