/**
 * Id patterns of incident conditions: `*` matches any run of characters, dots included, so
 * `*.on-battery` matches `ups1.on-battery` and `racks-a.*-temperature` every rack's temperature.
 * Compiled once per pattern; results are cached per id since ids repeat on every commit.
 */
export type IdMatcher = (id: string) => boolean;

export function globMatcher(pattern: string): IdMatcher {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const re = new RegExp(`^${source}$`);
  const cache = new Map<string, boolean>();
  return (id) => {
    let hit = cache.get(id);
    if (hit === undefined) {
      hit = re.test(id);
      // ids are config-bounded, but a misbehaving source must not grow this without end
      if (cache.size < 100_000) cache.set(id, hit);
    }
    return hit;
  };
}
