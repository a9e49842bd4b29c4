/**
 * What a running gateway changes live: devices (only those devices' pollers restart; the catalog
 * follows), analytics (unchanged points keep their models), alarm rules (unchanged alarms keep
 * their state and delays), sync targets (untouched ones keep their cursor and batch in flight),
 * whether retention waits for them, and the sections of live-sections.ts. Every other
 * change is refused by name (nothing changes) until its section learns to apply live; a restart
 * applies it.
 */
import type { SiteConfig } from '../config/types.js';
import { type ConfigDiff, isEmptyList, LIST_NAMES, type ListName } from '../config/live/diff.js';
import type { ConfigApplier } from '../config/live/live-config.js';
import type { AlarmEngine } from '../gateway/alarms/index.js';
import { type AnalyticsEngine, analyticsAlarmRules } from '../gateway/analytics/index.js';
import type { AlarmRule } from '../gateway/alarms/types.js';
import type { ControlService } from '../gateway/control/index.js';
import type { LiveCatalog } from '../gateway/live-config/live-catalog.js';
import type { Store } from '../gateway/store/types.js';
import { retentionHolds, type SyncService } from '../sync/index.js';
import type { LiveDevices } from './live-devices.js';
import { applyLiveSections, LIVE_SECTION_LISTS, type LiveSectionDeps, liveSectionRefusals, ownsSetting } from './live-sections.js';

const NOT_LIVE_YET = 'not applied live yet; needs a restart';

/** The lists this applier takes; any other list's change is refused. */
const LIVE_LISTS: ReadonlySet<ListName> = new Set(['devices', 'alarms', 'analytics', 'syncTargets']);
/** The settings this applier takes (paths as the diff names them). */
const LIVE_SETTINGS: ReadonlySet<string> = new Set(['sync.retention', 'storePolicies', 'storage.byException']);

export interface LiveApplierDeps {
  devices: LiveDevices;
  catalog: LiveCatalog;
  alarms: Pick<AlarmEngine, 'replaceRules'>;
  analytics: Pick<AnalyticsEngine, 'applySpecs'>;
  /** the alarm rules in force changed (the analytics' forecasts follow the limits) */
  onAlarmRules(rules: readonly AlarmRule[]): void;
  sync: Pick<SyncService, 'replaceTargets'>;
  control: Pick<ControlService, 'replaceDevices'>;
  store: Pick<Store, 'setRetentionHolds' | 'setStorePolicies'>;
  /** incidents, actions, broker users, login and HTTP settings (live-sections.ts) */
  sections: LiveSectionDeps;
}

export function createLiveApplier(deps: LiveApplierDeps): ConfigApplier {
  return {
    refusals(diff: ConfigDiff, next: SiteConfig) {
      const out: string[] = [];
      for (const name of LIST_NAMES) {
        if (LIVE_LISTS.has(name) || LIVE_SECTION_LISTS.includes(name) || isEmptyList(diff.lists[name])) continue;
        const c = diff.lists[name];
        const ids = [...c.added, ...c.removed, ...c.changed.map((x) => x.id)];
        out.push(`${name} ${ids.join(', ')}: ${NOT_LIVE_YET}`);
      }
      for (const path of diff.settings) if (!LIVE_SETTINGS.has(path) && !ownsSetting(path)) out.push(`${path}: ${NOT_LIVE_YET}`);
      out.push(...liveSectionRefusals(diff, next, deps.sections));
      const d = diff.lists.devices;
      const touched = new Set([...d.added, ...d.removed, ...d.changed.map((c) => c.id)]);
      for (const id of [...d.added, ...d.changed.map((c) => c.id)]) {
        const device = next.devices.find((x) => x.id === id);
        const why = device && deps.devices.liveRefusal(device, next, touched);
        if (why) out.push(why);
      }
      return out;
    },
    async apply(diff, next) {
      const d = diff.lists.devices;
      if (!isEmptyList(d)) {
        // The catalog first: an added device's first samples already find its names.
        deps.catalog.replace(next.devices);
        await deps.devices.replace(next, { added: d.added, removed: d.removed, changed: d.changed.map((c) => c.id) });
        // writes from now on see the new devices' points and write limits (a removed device has no driver: refused)
        deps.control.replaceDevices(next.devices);
      }
      // After the catalog: alarm messages take the points' and devices' new names. A renamed
      // device changes its alarms' definitions even when no rule changed, so the engine compares.
      // Analytics before its alarms: unchanged points keep their models; a device's change may rename them.
      if (!isEmptyList(d) || !isEmptyList(diff.lists.analytics)) deps.analytics.applySpecs(next.analytics ?? []);
      if (!isEmptyList(d) || !isEmptyList(diff.lists.alarms) || !isEmptyList(diff.lists.analytics)) {
        const rules = [...next.alarms, ...analyticsAlarmRules(next.analytics ?? [])];
        deps.alarms.replaceRules(rules);
        deps.onAlarmRules(next.alarms);
      }
      const t = diff.lists.syncTargets;
      if (!isEmptyList(t)) await deps.sync.replaceTargets(next.sync.targets, { added: t.added, removed: t.removed, changed: t.changed.map((c) => c.id) });
      // a target added holds retention from now; a removed one no longer does
      if (!isEmptyList(t) || diff.settings.includes('sync.retention')) deps.store.setRetentionHolds(retentionHolds(next.sync));
      if (diff.settings.includes('storePolicies')) deps.store.setStorePolicies(new Map(Object.entries(next.storePolicies ?? {})));
      await applyLiveSections(diff, next, deps.sections);
    },
  };
}
