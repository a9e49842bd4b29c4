/**
 * Topics, filters and topic templates.
 *
 * A template is a topic whose levels may hold named segments, `{rack}` or `+rack` (the same
 * thing): `dc1/rack/{rack}/env`, `sensors/{device}/{point}`. Filling a template gives the
 * concrete topic of one point; replacing every named level by `+` gives the subscription filter
 * that many points share, so 40 rack sensors cost one subscription, not 40.
 */

export interface TopicTemplate {
  text: string;
  /** per level: literal text and variable names, in order */
  levels: Array<Array<string | { name: string }>>;
  names: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Parses a template; returns a message for a person when it is not one. */
export function parseTopicTemplate(text: string): TopicTemplate | string {
  if (text.length === 0) return 'must not be empty';
  if (text.includes('\0')) return 'must not contain a NUL character';
  if (text.includes('#')) return 'a point listens to one topic: "#" is not allowed (use {name} segments)';
  const names: string[] = [];
  const levels: TopicTemplate['levels'] = [];
  for (const level of text.split('/')) {
    if (level.startsWith('+')) {
      const name = level.slice(1);
      if (!NAME.test(name)) {
        return name === ''
          ? 'an unnamed "+" would mix many sources into one point: name it ("+rack" or "{rack}")'
          : `"${level}" is not a named segment ("+" then a-z, 0-9, _)`;
      }
      levels.push([{ name }]);
      names.push(name);
      continue;
    }
    if (level.includes('+')) return `"+" must be a whole level, in "${level}"`;
    const parts: Array<string | { name: string }> = [];
    let last = 0;
    for (const m of level.matchAll(PLACEHOLDER)) {
      const name = m[1]!;
      if (!NAME.test(name)) return `"{${name}}" is not a named segment (a-z, 0-9, _)`;
      if (m.index > last) parts.push(level.slice(last, m.index));
      parts.push({ name });
      names.push(name);
      last = m.index + m[0].length;
    }
    if (last < level.length) parts.push(level.slice(last));
    if (parts.some((p) => typeof p === 'string' && /[{}]/.test(p))) return `unbalanced "{" or "}" in "${level}"`;
    levels.push(parts);
  }
  return { text, levels, names: [...new Set(names)] };
}

/** The concrete topic for these variables, or the first variable missing. */
export function fillTopicTemplate(t: TopicTemplate, vars: Readonly<Record<string, string>>): { topic: string } | { missing: string } {
  const out: string[] = [];
  for (const level of t.levels) {
    let text = '';
    for (const part of level) {
      if (typeof part === 'string') text += part;
      else {
        const value = vars[part.name];
        if (value === undefined) return { missing: part.name };
        text += value;
      }
    }
    out.push(text);
  }
  return { topic: out.join('/') };
}

/** The filter a template subscribes with: every level holding a variable becomes `+`. */
export function templateFilter(t: TopicTemplate): string {
  return t.levels.map((level) => (level.some((p) => typeof p !== 'string') ? '+' : (level as string[]).join(''))).join('/');
}

/** Whether `topic` (a concrete topic name) is one a client may publish to. */
export function isTopicName(topic: string): boolean {
  return topic.length > 0 && !/[+#\0]/.test(topic);
}

/** MQTT 3.1.1 §4.7 matching: `+` one level, `#` this level and everything below. */
export function topicMatches(filter: string, topic: string): boolean {
  // $-topics ($SYS/...) match no filter starting with a wildcard (§4.7.2).
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Whether every topic `inner` matches is matched by `outer` too (filters without `#`). */
function covers(outer: string[], inner: string[]): boolean {
  return outer.length === inner.length && outer.every((level, i) => level === '+' || level === inner[i]);
}

/** Whether some topic matches both (filters without `#`). */
function overlaps(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((level, i) => level === '+' || b[i] === '+' || level === b[i]);
}

/**
 * The fewest filters (without `#`) that match every topic the given ones match, none
 * overlapping another: a broker delivers a message once per matching subscription, and a
 * message processed twice would be stored twice. Partly overlapping filters (`a/+/c`, `a/b/+`)
 * widen into one (`a/+/+`); what the wider one lets in is counted as an unknown topic.
 */
export function mergeFilters(filters: Iterable<string>): string[] {
  let set = [...new Set(filters)].map((f) => f.split('/'));
  for (let changed = true; changed; ) {
    changed = false;
    outer: for (let i = 0; i < set.length; i++) {
      for (let j = 0; j < set.length; j++) {
        if (i === j || !overlaps(set[i]!, set[j]!)) continue;
        const a = set[i]!;
        const b = set[j]!;
        const merged = covers(a, b) ? a : covers(b, a) ? b : a.map((level, k) => (level === b[k] ? level : '+'));
        set = [...set.filter((_, k) => k !== i && k !== j), merged];
        changed = true;
        break outer;
      }
    }
  }
  return set.map((levels) => levels.join('/')).sort();
}
