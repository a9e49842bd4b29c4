/** MQTT point commands (issue 14): the `command:` config (topic templates, problems) and the payload templates. */
import { describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import { rawCommandValue, renderCommandPayload } from '../../drivers/mqtt/command.js';

function parse(points: string, extra = '') {
  return parseSiteConfig(
    `gateway: { id: t }
mqttBroker: {}
devices:
  - id: crac1
    driver: mqtt
    topic: dc1/{device}/state
${extra}    points:
${points}`,
    'site.yaml',
    { profilesDirs: [] },
  );
}

describe('mqtt command config', () => {
  it('fills the command topic like the point topic, and defaults the payload to {value}', () => {
    const { config, problems } = parse(`      - { key: setpoint, path: sp, write: { min: 16, max: 30 }, command: { topic: "dc1/{device}/cmd/{point}", payload: '{"sp": {value}}' } }
      - { key: run, type: boolean, path: run, write: {}, command: { topic: "dc1/{site}/{device}/run" } }
      - { key: supply, path: supply }
`, '    vars: { site: hall-b }\n');
    expect(problems).toEqual([]);
    const device = config!.devices[0]!;
    if (device.driver !== 'mqtt') throw new Error('not mqtt');
    expect(device.points.map((p) => [p.key, p.command])).toEqual([
      ['setpoint', { topic: 'dc1/crac1/cmd/setpoint', payload: '{"sp": {value}}' }],
      ['run', { topic: 'dc1/hall-b/crac1/run', payload: '{value}' }],
      ['supply', undefined],
    ]);
  });

  it('reports a write without a command, an unknown topic segment and a command on the point topic', () => {
    const { problems } = parse(`      - { key: a, write: { max: 5 } }
      - { key: b, write: {}, command: { topic: "dc1/{nowhere}/cmd" } }
      - { key: c, write: {}, command: { topic: "dc1/{device}/state" } }
      - { key: d, command: { topic: "dc1/+/cmd" } }
`);
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      expect.stringMatching(/points\[0\]\.write: an MQTT point is written through its command/),
      expect.stringMatching(/points\[1\]\.command: topic: \{nowhere\} has no value/),
      expect.stringMatching(/points\[2\]\.command: topic: must differ from the point's topic/),
      expect.stringMatching(/points\[3\]\.command: topic: an unnamed "\+"/),
    ]);
  });
});

describe('mqtt command payload', () => {
  it('inserts plain text outside JSON templates', () => {
    expect(renderCommandPayload('{value}', 22.5)).toBe('22.5');
    expect(renderCommandPayload('{value}', 'cool "x"')).toBe('cool "x"');
    expect(renderCommandPayload('SP={value};', false)).toBe('SP=false;');
  });

  it('inserts JSON in JSON-looking templates: bare values typed, quoted ones escaped once', () => {
    expect(renderCommandPayload('{"sp": {value}}', 22.5)).toBe('{"sp": 22.5}');
    expect(renderCommandPayload('{"on": {value}}', true)).toBe('{"on": true}');
    expect(JSON.parse(renderCommandPayload('{"m": {value}, "n": "{value}"}', 'a"b\\c\n'))).toEqual({ m: 'a"b\\c\n', n: 'a"b\\c\n' });
    expect(JSON.parse(renderCommandPayload('[{value}, "{value}"]', 7))).toEqual([7, '7']);
    // a value that looks like the placeholder is not expanded again
    expect(renderCommandPayload('{"m": {value}}', '{value} $&')).toBe('{"m": "{value} $&"}');
  });

  it('undoes scale and offset and checks the type', () => {
    expect(rawCommandValue({ type: 'number', scale: 0.1 }, 22.5)).toBe(225);
    expect(rawCommandValue({ type: 'number', scale: 0.5, offset: -10 }, 1)).toBe(22);
    expect(rawCommandValue({ type: 'number' }, 3.3)).toBe(3.3);
    expect(() => rawCommandValue({ type: 'number' }, 'x')).toThrow(/no number/);
    expect(() => rawCommandValue({ type: 'boolean' }, 1)).toThrow(/no boolean/);
    expect(() => rawCommandValue({ type: 'string' }, 1)).toThrow(/no text/);
  });
});
