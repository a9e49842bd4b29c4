/**
 * Payload decoding: plain text (`21.5`, `true`, `ON`) or JSON with a path per point, and an
 * optional timestamp field. Every refusal names a reason from BAD_INPUT_REASONS; nothing that
 * fails a check becomes a value.
 */
import { isUtf8 } from 'node:buffer';
import type { MqttPoint } from './point.js';

export const BAD_INPUT_REASONS = [
  'too-large',
  'not-utf8',
  'not-json',
  'missing-field',
  'wrong-type',
  'not-finite',
  'bad-timestamp',
  'unknown-topic',
  'retained-stale',
  // faster than the point's pointRateLimit: refused before decoding
  'rate-limited',
] as const;
export type BadInputReason = (typeof BAD_INPUT_REASONS)[number];

/** Longest string value kept (a label, a state name); longer text is refused. */
export const MAX_STRING_CHARS = 1024;

/** A message decoded once, however many points read from it. */
export interface DecodedMessage {
  text: string;
  /** the parsed JSON, parsed on first use; `invalid` when it is not JSON */
  json(): { value: unknown } | 'invalid';
}

export function decodeMessage(payload: Uint8Array, maxBytes: number): DecodedMessage | BadInputReason {
  if (payload.byteLength > maxBytes) return 'too-large';
  const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  // isUtf8 + toString is several times faster than a fatal TextDecoder on small payloads
  if (!isUtf8(buf)) return 'not-utf8';
  const text = buf.toString('utf8');
  let parsed: { value: unknown } | 'invalid' | undefined;
  return {
    text,
    json() {
      if (parsed === undefined) {
        try {
          parsed = { value: JSON.parse(text) };
        } catch {
          parsed = 'invalid';
        }
      }
      return parsed;
    },
  };
}

/** `data.rh`, `values[0].t`, `a.0` → steps; undefined when the path is not well formed. */
export function parseJsonPath(path: string): (string | number)[] | undefined {
  if (path.length === 0) return undefined;
  const steps: (string | number)[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return undefined;
    if (m[1] !== '') steps.push(/^\d+$/.test(m[1]!) ? Number(m[1]) : m[1]!);
    else if (m[2] === '') return undefined;
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) steps.push(Number(idx[1]));
  }
  return steps;
}

function walk(root: unknown, steps: readonly (string | number)[]): unknown {
  let node = root;
  for (const step of steps) {
    if (node === null || typeof node !== 'object') return undefined;
    if (Array.isArray(node)) {
      if (typeof step !== 'number') return undefined;
      node = node[step];
    } else {
      // own keys only: a payload must not reach "__proto__" or "constructor"
      const key = String(step);
      if (!Object.hasOwn(node, key)) return undefined;
      node = (node as Record<string, unknown>)[key];
    }
  }
  return node;
}

const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const NOT_FINITE_TEXT = /^[+-]?(nan|inf|infinity)$/i;
const TRUE_TEXT = new Set(['true', '1', 'on', 'yes']);
const FALSE_TEXT = new Set(['false', '0', 'off', 'no']);

export type Extracted = { value: number | boolean | string } | { bad: BadInputReason };

function toNumber(raw: unknown): Extracted {
  if (typeof raw === 'number') return Number.isFinite(raw) ? { value: raw } : { bad: 'not-finite' };
  if (typeof raw === 'string') {
    const t = raw.trim();
    if (NOT_FINITE_TEXT.test(t)) return { bad: 'not-finite' };
    if (!NUMBER_TEXT.test(t)) return { bad: 'wrong-type' };
    const n = Number(t);
    return Number.isFinite(n) ? { value: n } : { bad: 'not-finite' };
  }
  return { bad: 'wrong-type' };
}

function toBoolean(raw: unknown): Extracted {
  if (typeof raw === 'boolean') return { value: raw };
  if (raw === 0 || raw === 1) return { value: raw === 1 };
  if (typeof raw === 'string') {
    const t = raw.trim().toLowerCase();
    if (TRUE_TEXT.has(t)) return { value: true };
    if (FALSE_TEXT.has(t)) return { value: false };
  }
  return { bad: 'wrong-type' };
}

function toText(raw: unknown): Extracted {
  if (typeof raw === 'number') return Number.isFinite(raw) ? { value: String(raw) } : { bad: 'not-finite' };
  if (typeof raw === 'boolean') return { value: String(raw) };
  if (typeof raw !== 'string') return { bad: 'wrong-type' };
  return raw.length > MAX_STRING_CHARS ? { bad: 'too-large' } : { value: raw };
}

export interface ValueRule {
  type: MqttPoint['type'];
  /** parsed path; undefined: the whole payload is the value */
  steps?: readonly (string | number)[];
  scale?: number;
  offset?: number;
}

export function valueRuleOf(point: MqttPoint): ValueRule {
  const rule: ValueRule = { type: point.type };
  if (point.path !== undefined) rule.steps = parseJsonPath(point.path) ?? [point.path];
  if (point.scale !== undefined) rule.scale = point.scale;
  if (point.offset !== undefined) rule.offset = point.offset;
  return rule;
}

/** One point's value from a decoded message. */
export function extractValue(message: DecodedMessage, rule: ValueRule): Extracted {
  let raw: unknown;
  if (rule.steps) {
    const json = message.json();
    if (json === 'invalid') return { bad: 'not-json' };
    raw = walk(json.value, rule.steps);
    if (raw === undefined) return { bad: 'missing-field' };
  } else {
    // A whole-payload value may be plain text (`21.5`, `ON`) or a JSON scalar (`"idle"`, `true`).
    const t = message.text.trim();
    if (t.startsWith('"') || t.startsWith('{') || t.startsWith('[')) {
      const json = message.json();
      if (json === 'invalid') return { bad: t.startsWith('"') ? 'wrong-type' : 'not-json' };
      raw = json.value;
    } else {
      raw = t;
    }
  }
  const converted = rule.type === 'number' ? toNumber(raw) : rule.type === 'boolean' ? toBoolean(raw) : toText(raw);
  if ('bad' in converted || rule.type !== 'number') return converted;
  const scaled = (converted.value as number) * (rule.scale ?? 1) + (rule.offset ?? 0);
  return Number.isFinite(scaled) ? { value: scaled } : { bad: 'not-finite' };
}

/** Oldest measurement time accepted (a sensor without a clock sends 1970). */
const MIN_TS = Date.UTC(2000, 0, 1);
/** How far ahead of the gateway's clock a sensor's clock may run. */
export const MAX_CLOCK_AHEAD_MS = 5 * 60_000;
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * The measurement time a payload names: epoch seconds (below 1e11) or milliseconds, as a number
 * or digits, or ISO 8601. `absent` when the field is not there; `bad` when it is there but is
 * not a plausible time.
 */
export function extractTimestamp(message: DecodedMessage, steps: readonly (string | number)[], now: number): number | 'absent' | 'bad' {
  const json = message.json();
  if (json === 'invalid') return 'absent';
  const raw = walk(json.value, steps);
  if (raw === undefined || raw === null) return 'absent';
  let ms: number;
  if (typeof raw === 'number' || (typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw.trim()))) {
    const n = Number(raw);
    ms = n < 1e11 ? n * 1000 : n;
  } else if (typeof raw === 'string' && ISO.test(raw.trim())) {
    ms = Date.parse(raw.trim());
  } else {
    return 'bad';
  }
  if (!Number.isFinite(ms) || ms < MIN_TS || ms > now + MAX_CLOCK_AHEAD_MS) return 'bad';
  return Math.round(ms);
}
