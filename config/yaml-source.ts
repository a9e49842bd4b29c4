/**
 * One parsed YAML file that remembers where every value came from, so a problem found later (by
 * zod or by a cross-field check) can name the file, line and path a human should look at.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { ConfigProblem } from '../core/errors.js';

export type PathSegment = string | number;

export interface YamlSource {
  /** the file name as the user gave it */
  readonly file: string;
  /** the plain JS value of the document (undefined when the YAML itself is broken) */
  readonly value: unknown;
  /** YAML syntax problems; when there are any, `value` is undefined */
  readonly syntaxProblems: ConfigProblem[];
  /**
   * Line of the value at `path`. A missing value reports its parent mapping; a mapping or list
   * under a key reports the key's line (that is where a reader's eye goes).
   */
  lineOf(path: readonly PathSegment[]): number;
  /** Line of the key at the end of `path` (for unknown keys). */
  keyLineOf(path: readonly PathSegment[]): number;
  problem(path: readonly PathSegment[], message: string, at?: 'value' | 'key'): ConfigProblem;
}

/** `devices[2].points[5].address`; keys that are not plain words are quoted: `enum["1.5"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

interface Found {
  /** the deepest node reached */
  node: Node | null;
  /** the key node of the pair holding `node`, when it sits in a mapping */
  key: Node | null;
  /** true when the whole path was found */
  complete: boolean;
}

export function parseYamlSource(text: string, file: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number | undefined) => (offset === undefined ? 0 : lines.linePos(offset).line);
  const rangeLine = (node: Node | null) => (node?.range ? lineAt(node.range[0]) : 0);

  const syntaxProblems: ConfigProblem[] = doc.errors.map((err) => ({
    file,
    line: lineAt(err.pos[0]),
    path: '',
    message: err.message,
  }));
  let value: unknown;
  if (syntaxProblems.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // Unresolvable aliases and alias bombs surface here rather than in doc.errors.
      syntaxProblems.push({ file, line: 0, path: '', message: err instanceof Error ? err.message : String(err) });
    }
  }

  const find = (path: readonly PathSegment[]): Found => {
    let node = (doc.contents as Node | null) ?? null;
    let key: Node | null = null;
    for (const seg of path) {
      if (node && isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? null;
      let next: Node | null = null;
      let nextKey: Node | null = null;
      if (isMap(node)) {
        for (const pair of node.items) {
          if (!isPair(pair)) continue;
          const k = pair.key as Node | null;
          const kv = isScalar(k) ? k.value : k;
          if (String(kv) === String(seg)) {
            next = (pair.value as Node | null) ?? k;
            nextKey = k;
            break;
          }
        }
      } else if (isSeq(node) && typeof seg === 'number') {
        next = (node.items[seg] as Node | undefined) ?? null;
      }
      if (!next) return { node, key, complete: false };
      node = next;
      key = nextKey;
    }
    return { node, key, complete: true };
  };

  const collectionLine = (found: Found) =>
    found.key && (isMap(found.node) || isSeq(found.node)) ? rangeLine(found.key) : rangeLine(found.node);

  const lineOf = (path: readonly PathSegment[]) => {
    const found = find(path);
    const line = found.complete && !(isMap(found.node) || isSeq(found.node)) ? rangeLine(found.node) : collectionLine(found);
    return line || 1;
  };

  const keyLineOf = (path: readonly PathSegment[]) => {
    const found = find(path);
    return (found.complete ? rangeLine(found.key) || rangeLine(found.node) : collectionLine(found)) || 1;
  };

  return {
    file,
    value,
    syntaxProblems,
    lineOf,
    keyLineOf,
    problem: (path, message, at = 'value') => ({
      file,
      line: at === 'key' ? keyLineOf(path) : lineOf(path),
      path: formatPath(path),
      message,
    }),
  };
}
