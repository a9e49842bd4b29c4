/**
 * The site file's own text with its secrets hidden, so an admin can edit the running file on the
 * config page, and the secrets put back when that text comes back. Both work on the text itself
 * (the `yaml` package's Document API only finds where each value sits), so the comments, the
 * layout and the quoting an integrator wrote survive both ways unchanged.
 *
 * Hidden: every value under a key the schemas read as a Secret (core/secret.ts `secretString`, the
 * SNMP `envSecret`, the broker users' password hashes): `password`, `token`, `community`,
 * `communities` (each item), `authKey`, `privKey` and the values under `headers:`; and the password
 * of a URL's userinfo (`mqtt://user:[secret]@host`). A `${ENV}` reference stays: it names a
 * variable, the file holds no secret there.
 *
 * Put back: each `[secret]` from the running file at the same place, a list item found by its `id`
 * (or `username`, or `name`) when it has one, by its index otherwise, so reordering sync targets
 * never swaps their tokens, and only while the address beside it (`url`, `endpoint`, `host`,
 * `port`) is the same, so an edit cannot send a kept token to another host. A marker with no value
 * behind it, or one that would go elsewhere, is a problem on its line.
 */
import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, Scalar } from 'yaml';
import { type ConfigProblem, GatewayError } from '../../core/errors.js';
import { formatPath, type PathSegment } from '../yaml-source.js';

/** What a hidden value reads as; the same text core/secret.ts prints for a Secret. */
export const SECRET_MARKER = '[secret]';
/** How the marker is written into the text: quoted, so it reads back as the string `[secret]` anywhere. */
const MARKER_SOURCE = `"${SECRET_MARKER}"`;

/** Keys whose values (every scalar below them: list items, `headers:` values) are secrets. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['password', 'token', 'community', 'communities', 'authKey', 'privKey', 'headers']);
/** What names a list item, in this order; an item without any is known by its index. */
const IDENTITY_KEYS = ['id', 'username', 'name'] as const;
/** Keys that say where a secret beside them is sent. */
const ADDRESS_KEYS = ['url', 'endpoint', 'host', 'port'] as const;
const ENV_REF = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;
/** `${ENV}`, spelled so no reader takes it for a template placeholder */
const ENV_FORM = '$' + '{ENV}';

export interface MaskedText {
  text: string;
  /** how many values were replaced by the marker */
  masked: number;
}

export type RestoredText = { ok: true; text: string; restored: number } | { ok: false; problems: ConfigProblem[] };

/** One step from a node to a child: a mapping key, or a list item (by identity when it has one). */
type Step = { key: string } | { index: number; identity?: { key: string; value: string } };

interface Visit {
  node: Node;
  /** for problems: `sync.targets[1].token` */
  path: PathSegment[];
  /** for finding the same place in another text */
  steps: Step[];
  /** below a secret key */
  secret: boolean;
  /** inside a `{ }` or `[ ]` collection, where a plain scalar may not hold `,[]{}` */
  inFlow: boolean;
}

type ParsedDoc = ReturnType<typeof parseDocument>;

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** The text with every secret value as `[secret]`. Throws when the text is not YAML (the running file always is). */
export function maskSecrets(text: string): MaskedText {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) throw new GatewayError('the site file is not valid YAML; its text is not shown');
  const edits: Edit[] = [];
  walk(doc.contents as Node | null, (v) => {
    if (!isScalar(v.node)) return true;
    const value = v.node.value;
    if (v.secret) {
      if (isHideable(value)) edits.push({ ...span(v.node, text), text: MARKER_SOURCE });
      return false;
    }
    if (typeof value !== 'string') return false;
    const url = urlPassword(value);
    if (url && url.password !== '' && !ENV_REF.test(url.password) && url.password !== SECRET_MARKER) {
      edits.push({ ...span(v.node, text), text: scalarSource(url.with(SECRET_MARKER), v.node.type, v.inFlow) });
    }
    return false;
  });
  return { text: applyEdits(text, edits), masked: edits.length };
}

/**
 * `text` with each `[secret]` replaced by the value at the same place in `running` (the running
 * version's text). Any marker without one, or whose value would go to another address than it
 * does now, makes problems (`file`'s name, the marker's line) and no text. Text that is not YAML
 * comes back as it is: the check that follows reports it.
 */
export function restoreSecrets(text: string, running: string | undefined, file: string): RestoredText {
  if (!text.includes(SECRET_MARKER)) return { ok: true, text, restored: 0 };
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) return { ok: true, text, restored: 0 };
  const parsed = running === undefined ? undefined : parseDocument(running, { prettyErrors: false });
  const old = parsed && parsed.errors.length === 0 && running !== undefined ? { doc: parsed, text: running } : undefined;
  const edits: Edit[] = [];
  const problems: ConfigProblem[] = [];
  const problem = (v: Visit, message: string) =>
    problems.push({ file, line: lines.linePos(v.node.range?.[0] ?? 0).line, path: formatPath(v.path), message });
  const missing = (v: Visit) =>
    problem(v, `${SECRET_MARKER} stands for a value kept on the gateway, but the running config has none here; type the value or an ${ENV_FORM} reference`);

  walk(doc.contents as Node | null, (v) => {
    const whole = isWholeMarker(v.node, text);
    if (!whole && !isScalar(v.node)) return true;
    const value = isScalar(v.node) ? v.node.value : undefined;
    const url = typeof value === 'string' ? urlPassword(value) : undefined;
    if (!whole && url?.password !== SECRET_MARKER) return false;
    const there = old ? find(old.doc, v.steps) : undefined;
    let source: string | undefined;
    if (whole) {
      const at = { inFlow: v.inFlow, indent: lineIndent(text, v.node.range?.[0] ?? 0) };
      source = there && old ? valueSource(there, old.text, old.doc, at) : undefined;
    } else if (url) {
      const oldValue = isScalar(there) ? there.value : undefined;
      const oldPassword = typeof oldValue === 'string' ? urlPassword(oldValue)?.password : undefined;
      if (oldPassword && oldPassword !== SECRET_MARKER) source = scalarSource(url.with(oldPassword), (v.node as Scalar).type, v.inFlow);
    }
    if (source === undefined || !old) {
      missing(v);
      return false;
    }
    const moved = url ? (addressOf(String(value)) !== addressOf(String((there as Scalar).value)) ? v.path.at(-1) : undefined) : movedAddress(doc, old.doc, v.steps);
    if (moved !== undefined) {
      problem(v, `${SECRET_MARKER} would send the value kept on the gateway to another address (${moved} changed); type the value or an ${ENV_FORM} reference`);
      return false;
    }
    edits.push({ ...span(v.node, text), text: source });
    return false;
  });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, text: applyEdits(text, edits), restored: edits.length };
}

/**
 * The key whose address changed between the running text and the new one, for a secret at
 * `steps`: the first mapping around it (not leaving its list item) with a `url`, `endpoint`,
 * `host` or `port` says where the secret is sent. A token kept on the gateway must not follow an
 * edited URL to another host: that would hand it to whoever can edit the file but was never told it.
 */
function movedAddress(doc: ParsedDoc, old: ParsedDoc, steps: Step[]): string | undefined {
  for (let n = steps.length - 1; n >= 0; n--) {
    const here = find(doc, steps.slice(0, n));
    const there = find(old, steps.slice(0, n));
    if (isMap(here)) {
      const keys = ADDRESS_KEYS.filter((k) => here.has(k) || (isMap(there) && there.has(k)));
      if (keys.length > 0) {
        const value = (map: Node | undefined, key: string) => (isMap(map) ? map.get(key) : undefined);
        return keys.find((k) => addressOf(value(here, k)) !== addressOf(value(there, k)));
      }
    }
    if (n > 0 && 'index' in steps[n - 1]!) return undefined;
  }
  return undefined;
}

/** Where a URL points (scheme, host and port, without user or password); any other value as text. */
function addressOf(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  const head = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)/.exec(text);
  if (!head) return text;
  const authority = head[2]!;
  return `${head[1]!.toLowerCase()}${authority.slice(authority.lastIndexOf('@') + 1).toLowerCase()}`;
}

/**
 * Visits every node below `root` (not through aliases: the anchored value is visited where it is
 * written); `visit` returns whether to go into a collection.
 */
function walk(root: Node | null, visit: (v: Visit) => boolean): void {
  const go = (v: Visit) => {
    if (!visit(v)) return;
    const { node } = v;
    const inFlow = v.inFlow || (isCollection(node) && node.flow === true);
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key) || pair.value === null || isAlias(pair.value)) continue;
        const key = String(pair.key.value);
        go({ node: pair.value as Node, path: [...v.path, key], steps: [...v.steps, { key }], secret: v.secret || SECRET_KEYS.has(key), inFlow });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        if (item === null || isAlias(item) || isPair(item)) return;
        const identity = identityOf(item as Node);
        go({ node: item as Node, path: [...v.path, index], steps: [...v.steps, { index, ...(identity && { identity }) }], secret: v.secret, inFlow });
      });
    }
  };
  if (root) go({ node: root, path: [], steps: [], secret: false, inFlow: false });
}

function identityOf(item: Node): { key: string; value: string } | undefined {
  if (!isMap(item)) return undefined;
  for (const key of IDENTITY_KEYS) {
    const value = item.get(key, true);
    if (isScalar(value) && value.value !== null && value.value !== undefined) return { key, value: String(value.value) };
  }
  return undefined;
}

/** The node at `steps` in `doc` (aliases followed), or undefined. */
function find(doc: ParsedDoc, steps: Step[]): Node | undefined {
  let node = (doc.contents as Node | null) ?? undefined;
  for (const step of steps) {
    if (node && isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? undefined;
    if ('key' in step) {
      if (!isMap(node)) return undefined;
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === step.key);
      node = (pair?.value as Node | null | undefined) ?? undefined;
    } else {
      if (!isSeq(node)) return undefined;
      const { identity } = step;
      const items = node.items as Node[];
      node = identity ? items.find((item) => identityOf(item)?.key === identity.key && identityOf(item)?.value === identity.value) : items[step.index];
    }
  }
  if (node && isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? undefined;
  return node ?? undefined;
}

/** A scalar that is a secret to hide: not empty, not an `${ENV}` reference, not already the marker. */
function isHideable(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  const text = String(value);
  return text !== '' && text !== SECRET_MARKER && !ENV_REF.test(text);
}

/** `[secret]` as a whole value: the quoted string, or written bare (YAML reads that as a one-item list). */
function isWholeMarker(node: Node, text: string): boolean {
  if (isScalar(node)) return node.value === SECRET_MARKER;
  return isSeq(node) && node.flow === true && node.range !== null && node.range !== undefined && text.slice(node.range[0], node.range[1]).trim() === SECRET_MARKER;
}

/**
 * The text to put where a marker was (`at`: its context and its line's indentation), from the
 * running file's node there; undefined: nothing to put.
 */
function valueSource(node: Node, running: string, doc: ParsedDoc, at: { inFlow: boolean; indent: number }): string | undefined {
  if (isScalar(node)) {
    if (node.value === null || node.value === undefined || node.value === SECRET_MARKER || !node.range) return undefined;
    const written = running.slice(node.range[0], node.range[1]).trimEnd();
    const oneLine = !written.includes('\n');
    // the value as the integrator wrote it, where that reads the same in its new place
    if (oneLine && (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE)) return written;
    if (oneLine && node.type === Scalar.PLAIN && !(at.inFlow && /[,[\]{}]/.test(written))) return written;
    // a `|` or `>` block reads the same under a line indented as its own was
    const block = node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED;
    if (block && !at.inFlow && lineIndent(running, node.range[0]) === at.indent) return written;
    return JSON.stringify(String(node.value));
  }
  // a whole list or mapping behind a bare `[secret]` (`communities: [secret]`): as JSON, which YAML reads
  if (isCollection(node)) return JSON.stringify(node.toJS(doc));
  return undefined;
}

/** How many spaces open the line `offset` is on. */
function lineIndent(text: string, offset: number): number {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^ */.exec(text.slice(start, offset))![0].length;
}

/** Where a value's text is, without the line break a block scalar (`|`) ends with. */
function span(node: Node, text: string): { start: number; end: number } {
  const [start, end] = node.range ?? [0, 0];
  return { start, end: start + text.slice(start, end).trimEnd().length };
}

/** A string written in the style it had, where that style can hold it; double-quoted otherwise. */
function scalarSource(value: string, style: Scalar.Type | undefined, inFlow: boolean): string {
  if (style === Scalar.QUOTE_SINGLE) return `'${value.replace(/'/g, "''")}'`;
  if (style === Scalar.PLAIN && isSafePlain(value, inFlow)) return value;
  return JSON.stringify(value);
}

function isSafePlain(value: string, inFlow: boolean): boolean {
  if (!/^[A-Za-z0-9_./$]/.test(value) || /[\n\r\t]|: | #|\s$/.test(value)) return false;
  return !(inFlow && /[,[\]{}]/.test(value));
}

/** The password of `scheme://user:password@host...`, and the URL with another in its place. */
function urlPassword(value: string): { password: string; with(password: string): string } | undefined {
  const head = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(value);
  if (!head) return undefined;
  const rest = value.slice(head[0].length);
  const authority = /^[^/?#]*/.exec(rest)![0];
  const at = authority.lastIndexOf('@');
  if (at < 0) return undefined;
  const colon = authority.indexOf(':');
  if (colon < 0 || colon > at) return undefined;
  const before = value.slice(0, head[0].length + colon + 1);
  const after = value.slice(head[0].length + at);
  return { password: authority.slice(colon + 1, at), with: (password) => `${before}${password}${after}` };
}

/** Replaces the spans back to front, so earlier offsets stay right. */
function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
