/**
 * Conditions looked up by the device part of an id: a pattern whose literal start names a device
 * (`ups1.*`, `rack-a3.temp*`) can only match ids of that device, so a point's first reading is
 * tried against those conditions and the ones that can match any device (`*.temp`), not against
 * all of them (500 rules over 10 k points was 2.5 M pattern tests per start).
 */
const WILDCARD = /[*?]/;

/** `ups1.` of `ups1.out.volts`: up to and including the first dot, or '' when there is none. */
function devicePart(text: string): string {
  const dot = text.indexOf('.');
  return dot < 0 ? '' : text.slice(0, dot + 1);
}

export function indexByDevice<T>(items: readonly T[], patternOf: (item: T) => string): (id: string) => readonly T[] {
  const byDevice = new Map<string, T[]>();
  const anyDevice: T[] = [];
  for (const item of items) {
    const pattern = patternOf(item);
    const wild = pattern.search(WILDCARD);
    const literal = wild < 0 ? pattern : pattern.slice(0, wild);
    const device = devicePart(literal);
    if (device === '') anyDevice.push(item);
    else {
      const list = byDevice.get(device);
      if (list) list.push(item);
      else byDevice.set(device, [item]);
    }
  }
  const combined = new Map<string, readonly T[]>();
  return (id) => {
    const device = devicePart(id);
    let list = combined.get(device);
    if (list === undefined) {
      list = [...(byDevice.get(device) ?? []), ...anyDevice];
      combined.set(device, list);
    }
    return list;
  };
}
