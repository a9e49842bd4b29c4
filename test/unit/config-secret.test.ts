/** Secrets from the config never show their value, and `${NAME}` comes from the environment. */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatProblem } from '../../core/errors.js';
import { parseAt } from '../../config/schema.js';
import { Secret, secretString } from '../../core/secret.js';
import { parseYamlSource } from '../../config/yaml-source.js';

describe('Secret', () => {
  const secret = new Secret('hunter2');

  it.each([
    ['String()', () => String(secret)],
    ['template literal', () => `${secret}`],
    ['JSON.stringify', () => JSON.stringify({ password: secret })],
    ['util.inspect', () => inspect({ password: secret }, { depth: 5 })],
    ['Object.keys', () => Object.keys(secret).join(',')],
  ])('%s does not show the value', (_, show) => {
    expect(show()).not.toContain('hunter2');
  });

  it('prints as [secret] and reveals on request', () => {
    expect(String(secret)).toBe('[secret]');
    expect(JSON.stringify({ p: secret })).toBe('{"p":"[secret]"}');
    expect(secret.reveal()).toBe('hunter2');
  });
});

/** `${NAME}` written without tripping the template-string lint */
const ref = (name: string) => '$' + '{' + name + '}';

describe('secretString', () => {
  const env = { MQTT_PASSWORD: 's3cr3t', EMPTY: '' };
  const schema = z.strictObject({ user: z.string(), password: secretString({ env }), token: secretString({ env }).optional() });
  const load = (text: string) => {
    const src = parseYamlSource(`sync:\n${text.replace(/^/gm, '  ')}`, 'site.yaml');
    return parseAt(schema, (src.value as { sync: unknown }).sync, src, ['sync']);
  };

  it.each([
    ['a literal', 'password: plain-text', 'plain-text'],
    ['an environment variable', `password: ${ref('MQTT_PASSWORD')}`, 's3cr3t'],
    ['an empty environment variable', `password: ${ref('EMPTY')}`, ''],
    ['a string that only contains a reference', `password: "a${ref('MQTT_PASSWORD')}"`, `a${ref('MQTT_PASSWORD')}`],
  ])('resolves %s', (_, line, value) => {
    const { data, problems } = load(`user: u\n${line}\n`);
    expect(problems).toEqual([]);
    expect(data!.password).toBeInstanceOf(Secret);
    expect(data!.password.reveal()).toBe(value);
    expect(data!.token).toBeUndefined();
  });

  it.each([
    [`password: ${ref('NOT_SET_ANYWHERE')}`, 'site.yaml:3 sync.password: environment variable NOT_SET_ANYWHERE is not set'],
    ['password: 12345678', 'site.yaml:3 sync.password: expected a string (value not shown)'],
    ['token: x', 'site.yaml:1 sync.password: required'],
  ])('%s is a problem that shows no value', (line, expected) => {
    const { data, problems } = load(`user: u\n${line}\n`);
    expect(data).toBeUndefined();
    expect(problems.map(formatProblem)).toEqual([expected]);
    expect(expected).not.toContain('12345678');
  });

  it('reads process.env at parse time when no env is given', () => {
    const name = 'GW_CONFIG_TEST_SECRET';
    process.env[name] = 'from-env';
    try {
      expect(secretString().parse(ref(name)).reveal()).toBe('from-env');
    } finally {
      delete process.env[name];
    }
  });
});
