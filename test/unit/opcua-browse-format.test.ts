/** `gateway browse` output without a server: keys from browse names, unique keys, YAML quoting. */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatPointsYaml, formatTree, toKey } from '../../drivers/opcua/browse-format.js';
import type { BrowsedNode } from '../../drivers/opcua/browse-tree.js';

function variable(unitName: string, name: string, extra: Partial<BrowsedNode> = {}): BrowsedNode {
  return {
    nodeId: `ns=2;s=${unitName}.${name}`,
    path: [`2:${unitName}`, `2:${name}`],
    browseName: name,
    displayName: name,
    nodeClass: 'Variable',
    dataType: 'Double',
    children: [],
    ...extra,
  };
}

function object(name: string, children: BrowsedNode[]): BrowsedNode {
  return { nodeId: `ns=2;s=${name}`, path: [`2:${name}`], browseName: name, displayName: name, nodeClass: 'Object', children };
}

const TREE = [
  object('AHU-1', [variable('AHU-1', 'SupplyTemp', { unit: '°C', value: 18.5, description: 'Supply temperature' }), variable('AHU-1', 'On', { dataType: 'Boolean' })]),
  object('AHU-2', [variable('AHU-2', 'SupplyTemp', { unit: '°C' }), variable('AHU-2', 'Mode', { dataType: 'String', value: 'yes' })]),
];

describe('opcua browse output', () => {
  it.each([
    ['SupplyAirTemp', 'supply_air_temp'],
    ['CRAC-3', 'crac_3'],
    ['HVACMode', 'hvac_mode'],
    ['kW total', 'k_w_total'],
    ['--', 'point'],
  ])('%s → key %s', (name, key) => {
    expect(toKey(name)).toBe(key);
  });

  it('makes keys unique by their parent and keeps units, types and addresses', () => {
    const { points } = parse(formatPointsYaml(TREE)) as { points: Array<Record<string, string>> };
    expect(points).toEqual([
      { key: 'ahu_1_supply_temp', name: 'Supply temperature', unit: '°C', nodeId: 'ns=2;s=AHU-1.SupplyTemp' },
      { key: 'on', name: 'On', nodeId: 'ns=2;s=AHU-1.On' },
      { key: 'ahu_2_supply_temp', name: 'SupplyTemp', unit: '°C', nodeId: 'ns=2;s=AHU-2.SupplyTemp' },
      { key: 'mode', name: 'Mode', nodeId: 'ns=2;s=AHU-2.Mode' },
    ]);
  });

  it('addresses by browse path on request, quoting what YAML would misread', () => {
    const yaml = formatPointsYaml([object('X', [variable('X', 'Yes')])], { byBrowsePath: true });
    expect(parse(yaml)).toEqual({ points: [{ key: 'yes', name: 'Yes', browsePath: '2:X/2:Yes' }] });
  });

  it('prints the tree with types, units and values', () => {
    expect(formatTree(TREE)).toBe(
      [
        'AHU-1/  (ns=2;s=AHU-1)',
        '  SupplyTemp  Double  [°C]  ns=2;s=AHU-1.SupplyTemp  = 18.5',
        '  On  Boolean  ns=2;s=AHU-1.On',
        'AHU-2/  (ns=2;s=AHU-2)',
        '  SupplyTemp  Double  [°C]  ns=2;s=AHU-2.SupplyTemp',
        '  Mode  String  ns=2;s=AHU-2.Mode  = "yes"',
        '',
        '4 variables',
      ].join('\n'),
    );
  });
});
