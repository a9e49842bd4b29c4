/**
 * `gateway browse` output: the variable tree as text, or a ready-to-edit YAML points block for a
 * device or profile. Pure formatting, so it is tested without a server.
 */
import type { BrowsedNode } from './browse-tree.js';

function flatten(nodes: readonly BrowsedNode[]): BrowsedNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children)]);
}

function shown(value: BrowsedNode['value']): string {
  if (value === undefined) return '';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

export function formatTree(nodes: readonly BrowsedNode[]): string {
  const lines: string[] = [];
  const walk = (list: readonly BrowsedNode[], indent: string) => {
    for (const n of list) {
      if (n.nodeClass === 'Object') {
        lines.push(`${indent}${n.displayName}/  (${n.nodeId})`);
      } else {
        const details = [n.dataType ?? '?', n.unit ? `[${n.unit}]` : '', n.nodeId, n.value !== undefined ? `= ${shown(n.value)}` : '']
          .filter(Boolean)
          .join('  ');
        lines.push(`${indent}${n.displayName}  ${details}`);
      }
      walk(n.children, `${indent}  `);
    }
  };
  walk(nodes, '');
  const count = flatten(nodes).filter((n) => n.nodeClass === 'Variable').length;
  lines.push('', `${count} variable${count === 1 ? '' : 's'}`);
  return lines.join('\n');
}

/** `SupplyAirTemp` → `supply_air_temp`, `CRAC-3` → `crac_3`. */
export function toKey(name: string): string {
  const key = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return key === '' ? 'point' : key;
}

/** Quotes a YAML scalar when it could be read as something else. */
function scalar(text: string): string {
  return /^[A-Za-z][A-Za-z0-9 ()._/-]*$/.test(text) && !/^(true|false|yes|no|on|off|null)$/i.test(text) ? text : JSON.stringify(text);
}

export interface PointsYamlOptions {
  /** address points by browse path (portable between servers) instead of NodeId */
  byBrowsePath?: boolean;
}

/** A `points:` block with one entry per variable; keys are unique (prefixed by their parent when needed). */
export function formatPointsYaml(nodes: readonly BrowsedNode[], options: PointsYamlOptions = {}): string {
  const variables = flatten(nodes).filter((n) => n.nodeClass === 'Variable' && n.dataType !== undefined);
  const taken = new Map<string, number>();
  for (const v of variables) taken.set(toKey(v.browseName), (taken.get(toKey(v.browseName)) ?? 0) + 1);
  const used = new Set<string>();
  const lines = ['points:'];
  for (const v of variables) {
    let key = toKey(v.browseName);
    if ((taken.get(key) ?? 0) > 1 && v.path.length > 1) key = `${toKey(v.path[v.path.length - 2]!.replace(/^\d+:/, ''))}_${key}`;
    let unique = key;
    for (let i = 2; used.has(unique); i++) unique = `${key}_${i}`;
    used.add(unique);
    const fields = [`key: ${unique}`, `name: ${scalar(v.description ?? v.displayName)}`];
    if (v.unit) fields.push(`unit: ${JSON.stringify(v.unit)}`);
    fields.push(options.byBrowsePath ? `browsePath: ${JSON.stringify(v.path.join('/'))}` : `nodeId: ${JSON.stringify(v.nodeId)}`);
    lines.push(`  - { ${fields.join(', ')} }${v.dataType ? `   # ${v.dataType}` : ''}`);
  }
  return lines.join('\n');
}
