/** Locating values in YAML: the line a problem names is where the user has to look. */
import { describe, expect, it } from 'vitest';
import { formatPath, parseYamlSource } from '../../config/yaml-source.js';
import { parseReferenceAddress } from '../../drivers/modbus/config-schema.js';

const text = `gateway:
  id: gw1
devices:
  - id: ups1
    connection: { host: 10.0.0.1, port: 502 }
    points:
      - key: load
        address: 14
      - { key: temp, enum: { 0: "off", 1: on } }
    notes: |
      two
      lines
`;
const src = parseYamlSource(text, 'site.yaml');

describe('parseYamlSource', () => {
  it('gives the plain value', () => {
    expect(src.syntaxProblems).toEqual([]);
    expect(src.value).toMatchObject({ gateway: { id: 'gw1' }, devices: [{ id: 'ups1' }] });
  });

  it.each([
    { path: ['gateway', 'id'], line: 2, note: 'a scalar: its own line' },
    { path: ['gateway'], line: 1, note: 'a block mapping: its key line' },
    { path: ['devices', 0], line: 4, note: 'a list item: its dash line' },
    { path: ['devices', 0, 'connection', 'port'], line: 5, note: 'inside a flow mapping' },
    { path: ['devices', 0, 'points', 0, 'address'], line: 8, note: 'a nested block scalar' },
    { path: ['devices', 0, 'points', 1, 'enum', '1'], line: 9, note: 'a numeric key' },
    { path: ['devices', 0, 'notes'], line: 10, note: 'a block string starts at its indicator' },
    { path: ['devices', 0, 'points', 0, 'table'], line: 7, note: 'missing: the parent mapping' },
    { path: ['gateway', 'dataDir'], line: 1, note: 'missing under a block mapping: its key line' },
    { path: ['devices', 5, 'id'], line: 3, note: 'missing item: the list key' },
  ])('lineOf $path is $line ($note)', ({ path, line }) => {
    expect(src.lineOf(path)).toBe(line);
  });

  it('keyLineOf finds the key of a multi-line value', () => {
    expect(src.keyLineOf(['devices', 0, 'points'])).toBe(6);
    expect(src.keyLineOf(['devices', 0, 'points', 0, 'address'])).toBe(8);
  });

  it('builds a located problem', () => {
    expect(src.problem(['devices', 0, 'points', 0, 'address'], '70000 exceeds 65535')).toEqual({
      file: 'site.yaml',
      line: 8,
      path: 'devices[0].points[0].address',
      message: '70000 exceeds 65535',
    });
  });

  it('reports every syntax error with its line, and no value', () => {
    const broken = parseYamlSource('a: 1\na: 2\nb: [1, 2\n', 'x.yaml');
    expect(broken.value).toBeUndefined();
    expect(broken.syntaxProblems.map((p) => [p.line, p.message])).toEqual([
      [2, 'Map keys must be unique'],
      [4, 'Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ]);
  });
});

describe('formatPath', () => {
  it.each([
    [[], ''],
    [['gateway', 'id'], 'gateway.id'],
    [['devices', 2, 'points', 5, 'address'], 'devices[2].points[5].address'],
    [['enum', '0'], 'enum.0'],
    [['enum', '1.5'], 'enum["1.5"]'],
  ] as const)('%j → %s', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});

describe('parseReferenceAddress', () => {
  it.each([
    ['40001', { table: 'holding', address: 0 }],
    ['49999', { table: 'holding', address: 9998 }],
    ['400001', { table: 'holding', address: 0 }],
    ['465536', { table: 'holding', address: 65535 }],
    ['30011', { table: 'input', address: 10 }],
    ['100001', { table: 'discrete', address: 0 }],
    ['00017', { table: 'coil', address: 16 }],
    ['40000', undefined],
    ['400000', undefined],
    ['465537', undefined],
    ['20001', undefined],
    ['4001', undefined],
    ['4000001', undefined],
    ['4x0001', undefined],
  ])('%s', (ref, expected) => {
    expect(parseReferenceAddress(ref)).toEqual(expected);
  });
});
