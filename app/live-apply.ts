/**
 * What a running gateway can change live today: devices (added, removed, changed), by restarting
 * only those devices' pollers and updating the catalog. Every other change is refused by name
 * (nothing changes) until its section learns to apply live; a restart applies it.
 */
import type { SiteConfig } from '../config/types.js';
import { type ConfigDiff, canonical, isEmptyList, LIST_NAMES } from '../config/live/diff.js';
import type { ConfigApplier } from '../config/live/live-config.js';
import type { LiveCatalog } from '../gateway/live-config/live-catalog.js';
import type { LiveDevices } from './live-devices.js';

const NOT_LIVE_YET = 'not applied live yet; needs a restart';

export function createLiveApplier(deps: { devices: LiveDevices; catalog: LiveCatalog; current(): SiteConfig }): ConfigApplier {
  return {
    refusals(diff: ConfigDiff, next: SiteConfig) {
      const out: string[] = [];
      for (const name of LIST_NAMES) {
        if (name === 'devices' || isEmptyList(diff.lists[name])) continue;
        const c = diff.lists[name];
        const ids = [...c.added, ...c.removed, ...c.changed.map((x) => x.id)];
        out.push(`${name} ${ids.join(', ')}: ${NOT_LIVE_YET}`);
      }
      for (const path of diff.settings) out.push(`${path}: ${NOT_LIVE_YET}`);
      const d = diff.lists.devices;
      const touched = new Set([...d.added, ...d.removed, ...d.changed.map((c) => c.id)]);
      for (const id of [...d.added, ...d.changed.map((c) => c.id)]) {
        const device = next.devices.find((x) => x.id === id);
        const why = device && deps.devices.liveRefusal(device, next, touched);
        if (why) out.push(why);
      }
      out.push(...writeSpecRefusals(deps.current(), next, touched));
      return out;
    },
    async apply(diff, next) {
      const d = diff.lists.devices;
      if (isEmptyList(d)) return;
      // The catalog first: an added device's first samples already find its names.
      deps.catalog.replace(next.devices);
      await deps.devices.replace(next, { added: d.added, removed: d.removed, changed: d.changed.map((c) => c.id) });
    },
  };
}

/**
 * The control service checks every write against the point limits it was started with: a point of
 * a still-configured device whose write block is new, changed or dropped would be written with the
 * old limits (or not at all), so such a change waits for a restart. A removed device is safe: it
 * has no driver any more, and the service refuses to write to it.
 */
function writeSpecRefusals(before: SiteConfig, next: SiteConfig, touched: ReadonlySet<string>): string[] {
  const specs = (config: SiteConfig) =>
    new Map(config.devices.filter((d) => touched.has(d.id)).flatMap((d) => d.points.map((p) => [p.id, (p as { write?: unknown }).write] as const)));
  const old = specs(before);
  const now = specs(next);
  const stillConfigured = new Set(next.devices.map((d) => d.id));
  const out: string[] = [];
  for (const id of new Set([...old.keys(), ...now.keys()])) {
    const [was, is] = [old.get(id), now.get(id)];
    if (canonical(was) === canonical(is)) continue;
    if (!now.has(id) && !stillConfigured.has(id.slice(0, id.indexOf('.')))) continue;
    const what = was === undefined ? 'a new write block' : is === undefined ? 'its write block removed' : 'changed write limits';
    out.push(`points ${id}: ${what}; needs a restart`);
  }
  return out;
}
