/**
 * Id patterns in the site file (incident conditions, action triggers, analytics points): `*`
 * matches any run of characters, dots included, `?` one character; so `*.on-battery` matches
 * `ups1.on-battery` and `racks-a.*-temperature` every rack's temperature. Compiled once per
 * pattern; results are cached per id since ids repeat on every commit.
 */
export type IdMatcher = (id: string) => boolean;

export function globMatcher(pattern: string): IdMatcher {
  const first = pattern.search(/[*?]/);
  if (first < 0) return (id) => id === pattern;
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const re = new RegExp(`^${source}$`);
  const cache = new Map<string, boolean>();
  // The literal text before the first and after the last wildcard settles most ids without the
  // regex or the cache: a site's 10 k points each meet every point pattern once, and most do not match.
  const prefix = pattern.slice(0, first);
  const suffix = pattern.slice(Math.max(pattern.lastIndexOf('*'), pattern.lastIndexOf('?')) + 1);
  return (id) => {
    if (id.length < prefix.length + suffix.length || !id.startsWith(prefix) || !id.endsWith(suffix)) return false;
    let hit = cache.get(id);
    if (hit === undefined) {
      hit = re.test(id);
      // ids are config-bounded, but a misbehaving source must not grow this without end
      if (cache.size < 100_000) cache.set(id, hit);
    }
    return hit;
  };
}
