import { describe, expect, it } from 'vitest';
import { type DecodedMessage, decodeMessage, extractTimestamp, extractValue, parseJsonPath, type ValueRule } from '../../drivers/mqtt/payload.js';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

function decoded(text: string | Uint8Array): DecodedMessage {
  const m = decodeMessage(typeof text === 'string' ? Buffer.from(text) : text, 64 * 1024);
  if (typeof m === 'string') throw new Error(m);
  return m;
}

function rule(type: ValueRule['type'], path?: string, extra: Partial<ValueRule> = {}): ValueRule {
  return { type, ...(path === undefined ? {} : { steps: parseJsonPath(path)! }), ...extra };
}

describe('decodeMessage', () => {
  it('refuses payloads over the limit before reading them', () => {
    expect(decodeMessage(Buffer.alloc(65 * 1024, 0x31), 64 * 1024)).toBe('too-large');
  });
  it('refuses bytes that are not UTF-8', () => {
    expect(decodeMessage(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 1024)).toBe('not-utf8');
  });
});

describe('extractValue', () => {
  it.each([
    // plain text
    ['21.5', rule('number'), { value: 21.5 }],
    [' -3e2 ', rule('number'), { value: -300 }],
    ['ON', rule('boolean'), { value: true }],
    ['off', rule('boolean'), { value: false }],
    ['1', rule('boolean'), { value: true }],
    ['idle', rule('string'), { value: 'idle' }],
    ['"idle"', rule('string'), { value: 'idle' }],
    ['true', rule('boolean'), { value: true }],
    // JSON with a path
    ['{"temperature":22.4,"humidity":41}', rule('number', 'temperature'), { value: 22.4 }],
    ['{"data":{"rh":40.5}}', rule('number', 'data.rh'), { value: 40.5 }],
    ['{"values":[1,2,3]}', rule('number', 'values[2]'), { value: 3 }],
    ['{"t":"21.5"}', rule('number', 't'), { value: 21.5 }],
    ['{"leak":false}', rule('boolean', 'leak'), { value: false }],
    ['{"open":1}', rule('boolean', 'open'), { value: true }],
    ['{"state":"on"}', rule('string', 'state'), { value: 'on' }],
    ['{"t":215}', rule('number', 't', { scale: 0.1 }), { value: 21.5 }],
    // refusals
    ['hot', rule('number'), { bad: 'wrong-type' }],
    ['', rule('number'), { bad: 'wrong-type' }],
    ['NaN', rule('number'), { bad: 'not-finite' }],
    ['-Infinity', rule('number'), { bad: 'not-finite' }],
    ['1e999', rule('number'), { bad: 'not-finite' }],
    ['{"t":1e999}', rule('number', 't'), { bad: 'not-finite' }],
    ['{"t":1e300}', rule('number', 't', { scale: 1e10 }), { bad: 'not-finite' }],
    ['0x1A', rule('number'), { bad: 'wrong-type' }],
    ['{"t":"hot"}', rule('number', 't'), { bad: 'wrong-type' }],
    ['{"t":true}', rule('number', 't'), { bad: 'wrong-type' }],
    ['{"t":null}', rule('number', 't'), { bad: 'wrong-type' }],
    ['{"t":{}}', rule('string', 't'), { bad: 'wrong-type' }],
    ['{"leak":"maybe"}', rule('boolean', 'leak'), { bad: 'wrong-type' }],
    ['{"leak":2}', rule('boolean', 'leak'), { bad: 'wrong-type' }],
    ['{"temperature":22', rule('number', 'temperature'), { bad: 'not-json' }],
    ['{"humidity":40}', rule('number', 'temperature'), { bad: 'missing-field' }],
    ['[1,2]', rule('number', 'temperature'), { bad: 'missing-field' }],
    ['{"a":1}', rule('number', 'a.toString'), { bad: 'missing-field' }],
    ['{"a":1}', rule('number', 'constructor'), { bad: 'missing-field' }],
    ['{"t":21}', rule('number'), { bad: 'wrong-type' }],
    ['{"t":', rule('number'), { bad: 'not-json' }],
  ])('%j as %o → %o', (text, r, expected) => {
    expect(extractValue(decoded(text), r)).toEqual(expected);
  });

  it('refuses strings longer than 1024 characters', () => {
    expect(extractValue(decoded(JSON.stringify({ s: 'x'.repeat(1025) })), rule('string', 's'))).toEqual({ bad: 'too-large' });
  });
});

describe('extractTimestamp', () => {
  const steps = parseJsonPath('ts')!;
  it.each([
    [{ ts: NOW / 1000 }, NOW],
    [{ ts: NOW }, NOW],
    [{ ts: String(NOW / 1000) }, NOW],
    [{ ts: '2026-11-24T12:00:00Z' }, NOW],
    [{ ts: '2026-11-24T21:00:00+09:00' }, NOW],
    [{}, 'absent'],
    [{ ts: null }, 'absent'],
    [{ ts: 0 }, 'bad'],
    [{ ts: NOW + 3_600_000 }, 'bad'],
    [{ ts: 'yesterday' }, 'bad'],
    [{ ts: 'Tue Nov 24 2026' }, 'bad'],
    [{ ts: true }, 'bad'],
  ])('%o → %s', (payload, expected) => {
    expect(extractTimestamp(decoded(JSON.stringify(payload)), steps, NOW)).toBe(expected);
  });
});

describe('parseJsonPath', () => {
  it.each([
    ['temperature', ['temperature']],
    ['data.rh', ['data', 'rh']],
    ['values[0].t', ['values', 0, 't']],
    ['a.0', ['a', 0]],
    ['m[1][2]', ['m', 1, 2]],
    ['a..b', undefined],
    ['', undefined],
    ['a[x]', undefined],
  ])('%j → %o', (path, steps) => {
    expect(parseJsonPath(path)).toEqual(steps);
  });
});
