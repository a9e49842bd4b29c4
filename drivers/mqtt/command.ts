/**
 * An MQTT point's command (issue 14): the payload a write publishes on the point's command topic.
 * The template's `{value}` becomes the value, with the point's scale and offset undone. In a
 * JSON-looking template (starting with `{` or `[`) the value is inserted as JSON, so a string is
 * quoted and escaped (`{"mode": {value}}` → `{"mode": "cool"}`; `"{value}"` already in quotes gets
 * the escaped text only); elsewhere it is the plain text (`{value}` → `22.5`, `true`, `cool`).
 */
import { roundSignificant } from '../../core/scaled-number.js';
import type { WriteValue } from '../../core/write-spec.js';
import type { MqttPoint } from './point.js';

export const DEFAULT_COMMAND_PAYLOAD = '{value}';

/** Why a value was not published (the point's type does not take it). */
export class CommandRefusal extends Error {}

function isJsonLooking(template: string): boolean {
  const t = template.trimStart();
  return t !== DEFAULT_COMMAND_PAYLOAD && (t.startsWith('{') || t.startsWith('['));
}

/** The value as the device sees it: the point's type checked, scale and offset undone. */
export function rawCommandValue(point: Pick<MqttPoint, 'type' | 'scale' | 'offset'>, value: WriteValue): WriteValue {
  if (point.type === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new CommandRefusal(`${JSON.stringify(value)} is no number`);
    if (point.scale === undefined && point.offset === undefined) return value;
    // 15 significant digits drop the binary noise of the division (22.5 / 0.1 → 225)
    return roundSignificant((value - (point.offset ?? 0)) / (point.scale ?? 1), 15);
  }
  if (point.type === 'boolean' && typeof value !== 'boolean') throw new CommandRefusal(`${JSON.stringify(value)} is no boolean`);
  if (point.type === 'string' && typeof value !== 'string') throw new CommandRefusal(`${JSON.stringify(value)} is no text`);
  return value;
}

/** The payload for `raw` (already a device value) from a template. */
export function renderCommandPayload(template: string, raw: WriteValue): string {
  // replacer functions: a value holding `$&` or `{value}` is inserted as it is, never expanded
  if (!isJsonLooking(template)) return template.replace(/\{value\}/g, () => String(raw));
  // in quotes: the escaped text, quoted once; bare: the JSON value (a string gets its quotes)
  return template.replace(/"\{value\}"|\{value\}/g, (m) => (m === '{value}' ? JSON.stringify(raw) : JSON.stringify(String(raw))));
}
