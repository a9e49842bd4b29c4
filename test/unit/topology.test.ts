/**
 * The site topology: the model's walks over a demo-like site (table form), every problem the
 * builder finds, and the same problems through the real config loader with file, line and path.
 */
import { describe, expect, it } from 'vitest';
import { builtinProfilesDir, parseSiteConfig } from '../../config/index.js';
import { formatProblem } from '../../core/errors.js';
import { buildTopology, type TopologyEntry } from '../../gateway/topology/build.js';
import type { Topology } from '../../gateway/topology/types.js';

const DEVICES = ['ups1', 'ups2', 'pdu-a1', 'pdu-a2', 'pdu-b1', 'crac1', 'racks-a', 'lonely'];
const SITE: TopologyEntry[] = [
  { id: 'utility-a', kind: 'feed', name: 'Utility feed A' },
  { device: 'ups1', fedBy: ['utility-a'] },
  { device: 'ups2', fedBy: ['utility-a'] },
  { device: 'pdu-a1', fedBy: ['ups1'] },
  { device: 'pdu-a2', fedBy: ['ups1', 'ups2'] },
  { device: 'pdu-b1', fedBy: ['ups2'] },
  { device: 'crac1', fedBy: ['ups2'], cools: ['hall-a'] },
  { id: 'row-1', kind: 'group', name: 'Row 1', contains: ['racks-a', 'pdu-a1'] },
  { id: 'hall-a', kind: 'zone', name: 'Hall A', contains: ['row-1', 'pdu-a2'] },
  { id: 'hall-b', kind: 'zone', name: 'Hall B', contains: ['pdu-b1'] },
];

function built(entries: readonly TopologyEntry[], devices = DEVICES): Topology {
  const result = buildTopology(entries, devices);
  expect(result.problems).toEqual([]);
  return result.topology!;
}

describe('topology model', () => {
  const topo = built(SITE);
  const sorted = (ids: string[]) => [...ids].sort();

  it('has a node for every device and every named node; a device without an entry is unlinked', () => {
    expect(topo.nodes.size).toBe(DEVICES.length + 4);
    expect(topo.nodes.get('lonely')).toEqual({ id: 'lonely', kind: 'device', name: 'lonely', fedBy: [], cools: [], contains: [] });
    expect(topo.nodes.get('hall-a')).toMatchObject({ kind: 'zone', name: 'Hall A', contains: ['row-1', 'pdu-a2'] });
  });

  it.each<[string, string, string[]]>([
    ['upstreamOf', 'pdu-a1', ['ups1', 'utility-a']],
    ['upstreamOf', 'pdu-a2', ['ups1', 'ups2', 'utility-a']],
    ['upstreamOf', 'utility-a', []],
    ['upstreamOf', 'lonely', []],
    ['upstreamOf', 'nobody', []],
    ['downstreamOf', 'utility-a', ['ups1', 'ups2', 'pdu-a1', 'pdu-a2', 'pdu-b1', 'crac1']],
    ['downstreamOf', 'ups1', ['pdu-a1', 'pdu-a2']],
    ['downstreamOf', 'pdu-a1', []],
    ['zonesOf', 'racks-a', ['hall-a']],
    ['zonesOf', 'pdu-a1', ['hall-a']],
    ['zonesOf', 'pdu-b1', ['hall-b']],
    ['zonesOf', 'crac1', ['hall-a']],
    ['zonesOf', 'row-1', ['hall-a']],
    ['zonesOf', 'ups1', []],
    ['inZone', 'hall-a', ['pdu-a2', 'racks-a', 'pdu-a1']],
    ['inZone', 'row-1', ['racks-a', 'pdu-a1']],
    ['inZone', 'hall-b', ['pdu-b1']],
    ['inZone', 'ups1', []],
    ['inZone', 'nobody', []],
  ])('%s(%s)', (method, id, expected) => {
    const fn = topo[method as 'upstreamOf'] as (id: string) => string[];
    // upstream and downstream are nearest first; the order within one distance is the file's
    if (method === 'upstreamOf' || method === 'downstreamOf') expect(fn(id)).toEqual(expected);
    else expect(sorted(fn(id))).toEqual(sorted(expected));
  });

  it('walks nearest first', () => {
    const down = topo.downstreamOf('utility-a');
    expect(down.slice(0, 2).sort()).toEqual(['ups1', 'ups2']);
  });

  it.each<[string, string[]]>([
    // feeders, what it feeds, the devices of its zone and what cools the zone
    ['racks-a', ['pdu-a1', 'pdu-a2', 'crac1']],
    ['pdu-a1', ['ups1', 'racks-a', 'pdu-a2', 'crac1']],
    ['ups2', ['pdu-a2', 'pdu-b1', 'crac1']],
    ['crac1', ['ups2', 'racks-a', 'pdu-a1', 'pdu-a2']],
    ['hall-a', ['racks-a', 'pdu-a1', 'pdu-a2', 'crac1']],
    ['utility-a', ['ups1', 'ups2', 'pdu-a1', 'pdu-a2', 'pdu-b1', 'crac1']],
    ['lonely', []],
    ['nobody', []],
  ])('linkedDevices(%s)', (id, expected) => {
    expect(sorted(topo.linkedDevices(id))).toEqual(sorted(expected));
  });

  it('an empty topology leaves every device unlinked', () => {
    const empty = built([]);
    expect([...empty.nodes.keys()]).toEqual(DEVICES);
    expect(empty.linkedDevices('ups1')).toEqual([]);
  });
});

describe('topology problems', () => {
  it.each<[string, TopologyEntry[], Array<{ entry: number; path: (string | number)[]; message: string }>]>([
    [
      'unknown ids',
      [{ device: 'ups1', fedBy: ['utility-x'] }, { id: 'z', kind: 'zone', name: 'Z', contains: ['ghost'] }],
      [
        { entry: 0, path: ['fedBy', 0], message: 'unknown id "utility-x" (not a device or a topology node)' },
        { entry: 1, path: ['contains', 0], message: 'unknown id "ghost" (not a device or a topology node)' },
      ],
    ],
    [
      'duplicate ids',
      [{ id: 'f', kind: 'feed', name: 'F' }, { id: 'f', kind: 'zone', name: 'F again' }, { id: 'ups1', kind: 'feed', name: 'clash' }],
      [
        { entry: 1, path: ['id'], message: 'duplicate id "f" (also topology[0])' },
        { entry: 2, path: ['id'], message: 'id "ups1" is a device\'s id (link a device with { device: ups1, ... })' },
      ],
    ],
    [
      'a device entry for an unknown device, and one device twice',
      [{ device: 'ups9' }, { device: 'ups1' }, { device: 'ups1', fedBy: [] }],
      [
        { entry: 0, path: ['device'], message: 'no device "ups9" in devices:' },
        { entry: 2, path: ['device'], message: 'device "ups1" has another entry (topology[1])' },
      ],
    ],
    [
      'a fedBy loop',
      [{ device: 'ups1', fedBy: ['pdu-a1'] }, { device: 'pdu-a1', fedBy: ['ups2'] }, { device: 'ups2', fedBy: ['ups1'] }],
      [{ entry: 2, path: ['fedBy', 0], message: 'loop: ups1 feeds ups2 feeds pdu-a1 feeds ups1' }],
    ],
    ['feeding itself', [{ device: 'ups1', fedBy: ['ups1'] }], [{ entry: 0, path: ['fedBy', 0], message: '"ups1" names itself' }]],
    [
      'zones containing each other',
      [
        { id: 'hall-a', kind: 'zone', name: 'A', contains: ['row-1'] },
        { id: 'row-1', kind: 'group', name: 'Row', contains: ['hall-a', 'racks-a'] },
      ],
      [{ entry: 1, path: ['contains', 0], message: 'loop: hall-a contains row-1 contains hall-a' }],
    ],
    [
      'cools naming a non-zone, fedBy naming a zone',
      [
        { id: 'row-1', kind: 'group', name: 'Row' },
        { id: 'hall-a', kind: 'zone', name: 'A' },
        { device: 'crac1', cools: ['row-1', 'ups1'], fedBy: ['hall-a'] },
      ],
      [
        { entry: 2, path: ['fedBy', 0], message: '"hall-a" is a zone; a zone feeds nothing' },
        { entry: 2, path: ['cools', 0], message: '"row-1" is a group, not a zone' },
        { entry: 2, path: ['cools', 1], message: '"ups1" is a device, not a zone' },
      ],
    ],
  ])('%s', (_name, entries, expected) => {
    const result = buildTopology(entries, DEVICES);
    expect(result.topology).toBeUndefined();
    expect(result.problems).toEqual(expected);
  });
});

const HEAD = `gateway: { id: t }
devices:
  - { id: ups1, name: UPS 1, driver: modbus, profile: ups-generic, connection: { host: 127.0.0.1, port: 502 } }
  - { id: pdu1, name: PDU 1, driver: modbus, profile: pdu-generic, connection: { host: 127.0.0.1, port: 503 } }
  - { id: crac1, name: CRAC 1, driver: modbus, profile: crac-generic, connection: { host: 127.0.0.1, port: 504 } }
`;
const check = (text: string) => parseSiteConfig(text, 'site.yaml', { profilesDirs: [builtinProfilesDir()] });

describe('topology in the site file', () => {
  it('loads into config.topology, device names from devices:', () => {
    const { config, problems } = check(`${HEAD}topology:
  - { id: utility-a, kind: feed, name: Utility feed A }
  - { device: ups1, fedBy: [utility-a] }
  - { device: pdu1, fedBy: [ups1] }
  - { device: crac1, fedBy: [ups1], cools: [hall-a] }
  - { id: hall-a, kind: zone, name: Hall A, contains: [pdu1] }
`);
    expect(problems.map(formatProblem)).toEqual([]);
    const topo = config!.topology!;
    expect(topo.nodes.get('ups1')).toMatchObject({ kind: 'device', name: 'UPS 1', fedBy: ['utility-a'] });
    expect(topo.downstreamOf('utility-a')).toEqual(['ups1', 'pdu1', 'crac1']);
    expect(topo.zonesOf('crac1')).toEqual(['hall-a']);
  });

  it('without a topology section every device is an unlinked node', () => {
    const { config, problems } = check(HEAD);
    expect(problems).toEqual([]);
    expect([...config!.topology!.nodes.keys()]).toEqual(['ups1', 'pdu1', 'crac1']);
  });

  it('lists every problem with file, line and path', () => {
    const { config, problems } = check(`${HEAD}topology:
  - { id: utility-a, kind: feed, name: Utility feed A }
  - { id: utility-a, kind: zone, name: Again }
  - { device: ups9, fedBy: [utility-a] }
  - { device: ups1, fedBy: [utility-x] }
  - { device: crac1, cools: [ups1] }
  - { id: hall-a, kind: zone, name: Hall A, contains: [pdu1, row-1] }
  - { id: row-1, kind: group, name: Row 1, contains: [hall-a] }
  - { id: bad, kind: room, name: Bad, fedBy: utility-a }
  - { device: pdu1, fedBy: [ups1], contains: [ups1] }
`);
    expect(config).toBeUndefined();
    expect(problems.map(formatProblem)).toEqual([
      'site.yaml:8 topology[1].id: duplicate id "utility-a" (also topology[0])',
      'site.yaml:9 topology[2].device: no device "ups9" in devices:',
      'site.yaml:10 topology[3].fedBy[0]: unknown id "utility-x" (not a device or a topology node)',
      'site.yaml:11 topology[4].cools[0]: "ups1" is a device, not a zone',
      'site.yaml:14 topology[7].kind: expected one of feed, zone, group, got "room"',
      'site.yaml:14 topology[7].fedBy: expected a list, got "utility-a"',
      'site.yaml:15 topology[8].contains: unknown key "contains"',
    ]);
  });

  it('reports a loop once the ids are all known', () => {
    const { problems } = check(`${HEAD}topology:
  - { device: ups1, fedBy: [pdu1] }
  - { device: pdu1, fedBy: [ups1] }
  - { id: hall-a, kind: zone, name: Hall A, contains: [row-1] }
  - { id: row-1, kind: group, name: Row 1, contains: [hall-a] }
`);
    expect(problems.map(formatProblem)).toEqual([
      'site.yaml:8 topology[1].fedBy[0]: loop: ups1 feeds pdu1 feeds ups1',
      'site.yaml:10 topology[3].contains[0]: loop: hall-a contains row-1 contains hall-a',
    ]);
  });

  it('a device with problems of its own is still known to the topology', () => {
    const text = `${HEAD.replace('port: 504 } }', 'port: 504 }, pollIntervalMs: 5 }')}topology:\n  - { device: crac1, cools: [] }\n`;
    expect(check(text).problems.map(formatProblem)).toEqual(['site.yaml:5 devices[2].pollIntervalMs: 5 is below 100']);
  });

  it('a topology that is not a list is one problem', () => {
    expect(check(`${HEAD}topology: { utility-a: feed }\n`).problems.map(formatProblem)).toEqual(['site.yaml:6 topology: expected a list, got a mapping']);
  });
});
