/**
 * The incident engine: follows the store's commits (alarm transitions from `alarm.*` events, point
 * values from readings), evaluates every incident rule on each commit and on a 1 s tick (windows
 * expire with time alone), and writes `incident.<transition>` events through the store. The
 * lifecycle is the alarms' ISA-18.2 state machine (no delays, no latch): raised → unack, acked
 * once, returned. State survives restarts as the fold of those events (lifecycle.ts).
 *
 * Window semantics: a match (an alarm of the condition, or a point passing its test) counts while
 * it is true or was true at most `withinS` ago. `any` holds with at least `min` (default 1)
 * distinct matches counted; `all` holds when every condition has at least one. A point's rate is
 * its change over the last minute (or the window when shorter). An incident stays
 * raised while its rule holds and returns once it has not held for a moment.
 */
import { createEventFlush } from '../store/event-flush.js';
import { monotonicOf } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Reading } from '../../core/types.js';
import { initialMachineState, type MachineConfig, type MachineInput, type MachineState, step } from '../alarms/state-machine.js';
import type { AlarmEventData, AlarmRecord, AlarmService } from '../alarms/types.js';
import type { CommittedBatch, Store } from '../store/types.js';
import type { Topology } from '../topology/types.js';
import type { AlarmCondition, CorrelationSection, IncidentCondition, IncidentRule, PointCondition } from './config-schema.js';
import { DEFAULT_CORRELATION } from './config-schema.js';
import { INCIDENT_EVENT_PREFIX, type IncidentEventData, incidentMessage, recoverIncidents } from './lifecycle.js';
import { globMatcher, type IdMatcher } from '../../core/id-glob.js';
import { indexByDevice } from './device-index.js';
import { type ActiveAlarms, causeOfAlarm, symptomLinks } from './symptoms.js';
import type { IncidentRecord, IncidentService, SymptomLink } from './types.js';
import { createPointWindow, type PointWindow } from './window.js';

const ALARM_PREFIX = 'alarm.';
const MACHINE: MachineConfig = { onDelayMs: 0, offDelayMs: 0, latch: false };
/** a rate is the change over the last minute (or the rule's window when shorter): a trend now, not an average over a long window */
const RATE_WINDOW_MS = 60_000;

export interface IncidentEngineOptions {
  rules: readonly IncidentRule[];
  correlation?: CorrelationSection;
  store: Pick<Store, 'onCommit' | 'appendEvent' | 'eventsAfter' | 'flush'>;
  /** the alarm service: its active alarms seed the engine at start */
  alarms: Pick<AlarmService, 'list'>;
  topology?: Topology;
  logger: Logger;
  /** wall clock: event timestamps and times in the records */
  now?: () => number;
  /** monotonic clock: windows */
  monoNow?: () => number;
  /** default 1000; 0: only tick() */
  tickMs?: number;
}

/** What a live rule change did, by incident (rule) id. */
export interface IncidentRulesReplaced {
  added: string[];
  removed: string[];
  /** restarted from their new definition (an open one was closed first) */
  changed: string[];
}

export interface IncidentEngine extends IncidentService {
  start(): void;
  /**
   * A live config change. An unchanged rule keeps its incident as it is (state, members, the
   * matches in its window). A removed rule's open incident is closed with an `incident.removed`
   * event saying why; a changed rule's open incident likewise, and the rule starts again from
   * normal with its new definition (it raises again at once if its new conditions hold). The
   * correlation settings take effect on the next question asked.
   */
  replaceRules(rules: readonly IncidentRule[], correlation?: CorrelationSection): IncidentRulesReplaced;
  /** Re-evaluates every rule now (the timer calls it every tickMs). */
  tick(): void;
  stop(): void;
  /** the notifier's hook: hold back this alarm's notification (a symptom of an active cause, of a held severity) */
  isHeld(alarm: Pick<AlarmRecord, 'id' | 'severity' | 'device'>): boolean;
}

interface CompiledCondition {
  kind: 'alarm' | 'point';
  id: IdMatcher;
  device?: IdMatcher;
  alarm?: AlarmCondition;
  point?: PointCondition;
  /**
   * last time (mono) each matching subject was true; for an alarm condition only the alarms that
   * no longer match (returned, or changed), kept for the window after: those still matching are
   * in `matching`, never in both
   */
  lastTrue: Map<string, number>;
  /**
   * alarm conditions: the ids of the active alarms that match, kept up to date by each alarm
   * event (undefined: not known yet, found by one pass over the active alarms when first asked).
   * They count as true now without being stamped on every evaluation: with 500 rules, refreshing
   * every matching alarm of every condition each second was most of the tick.
   */
  matching?: Set<string> | undefined;
  /** point conditions: the windows of the points this condition watches (id and zone match), added as points first report */
  windows: [string, PointWindow][];
}

interface Incident {
  rule: IncidentRule;
  mode: 'any' | 'all';
  min: number;
  windowMs: number;
  conditions: CompiledCondition[];
  machine: MachineState;
  record: IncidentRecord;
  /**
   * an alarm started matching one of its conditions since its members were last looked at: only
   * then can a raised incident gain one (building every raised incident's match lists on every
   * evaluation was a third of the tick)
   */
  membersMayGrow: boolean;
}

export function createIncidentEngine(options: IncidentEngineOptions): IncidentEngine {
  const { store, logger, topology } = options;
  let correlation = options.correlation ?? DEFAULT_CORRELATION;
  const now = options.now ?? Date.now;
  const mono = monotonicOf(options);
  const active = new Map<string, AlarmRecord>();
  /** the windows of the points some condition watches, by point id */
  const windows = new Map<string, PointWindow>();
  /**
   * Whether a point is watched is decided when it first reports, then remembered by the store's
   * point number (its window, or null: watched by none), in an array: a Map entry per point of
   * the site, most of them null, was ~0.5 MB at 10 k points. By id only for readings that come
   * without numbers.
   */
  let decidedByNumber: (PointWindow | null | undefined)[] = [];
  let decidedById = new Map<string, PointWindow | null>();
  const incidents = new Map<string, Incident>();
  /** how long a point window keeps samples: the longest rule window (read on every trim, so a live change reaches old windows) */
  let keepMs = keepMsOf(options.rules);
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let started = false;

  const activeView: ActiveAlarms = {
    byDevice: (device) => [...active.values()].filter((a) => a.device === device),
    all: () => active.values(),
  };

  for (const rule of options.rules) incidents.set(rule.id, newIncident(rule));

  function newIncident(rule: IncidentRule): Incident {
    const list = rule.when.any ?? rule.when.all ?? [];
    return {
      rule,
      mode: rule.when.any ? 'any' : 'all',
      min: rule.when.min ?? 1,
      windowMs: rule.when.withinS * 1000,
      conditions: list.map(compile),
      machine: initialMachineState(0),
      record: emptyRecord(rule),
      membersMayGrow: true,
    };
  }

  function compile(c: IncidentCondition): CompiledCondition {
    if ('alarm' in c) return { kind: 'alarm', id: globMatcher(c.alarm), ...(c.device && { device: globMatcher(c.device) }), alarm: c, lastTrue: new Map(), windows: [] };
    return { kind: 'point', id: globMatcher(c.point), point: c, lastTrue: new Map(), windows: [] };
  }

  // The topology does not change while the engine runs: its walks are answered once per question,
  // not once per alarm or point on every commit.
  // By zone, then device: no key string built per question (alarm events and first readings ask it of every zoned condition).
  const zoneCache = new Map<string, Map<string, boolean>>();
  function inZone(device: string | null, zone: string): boolean {
    if (!device || !topology) return false;
    let devices = zoneCache.get(zone);
    if (devices === undefined) {
      devices = new Map();
      zoneCache.set(zone, devices);
    }
    let hit = devices.get(device);
    if (hit === undefined) {
      hit = topology.zonesOf(device).includes(zone) || topology.inZone(zone).includes(device);
      devices.set(device, hit);
    }
    return hit;
  }
  const downstreamCache = new Map<string, ReadonlySet<string>>();
  function isDownstreamOf(device: string, node: string): boolean {
    if (!topology) return false;
    let below = downstreamCache.get(node);
    if (!below) {
      below = new Set(topology.downstreamOf(node));
      downstreamCache.set(node, below);
    }
    return below.has(device);
  }

  function alarmMatches(c: CompiledCondition, a: AlarmRecord): boolean {
    const spec = c.alarm!;
    if (!c.id(a.id)) return false;
    if (spec.severity && !spec.severity.includes(a.severity)) return false;
    if (c.device && !(a.device && c.device(a.device))) return false;
    if (spec.zone && !inZone(a.device, spec.zone)) return false;
    if (spec.downstreamOf && !(a.device && isDownstreamOf(a.device, spec.downstreamOf))) return false;
    return true;
  }

  /** A point this condition watches: its id matches and it is in the condition's zone (static, so checked once per point). */
  function pointWatched(c: CompiledCondition, pointId: string): boolean {
    const zone = c.point!.zone;
    if (!c.id(pointId)) return false;
    if (!zone) return true;
    const dot = pointId.indexOf('.');
    return inZone(dot < 0 ? pointId : pointId.slice(0, dot), zone);
  }

  function pointTrue(c: CompiledCondition, w: PointWindow, windowMs: number, at: number): boolean {
    const spec = c.point!;
    const value = w.latest(at);
    if (value === undefined) return false;
    if (spec.hi !== undefined && value > spec.hi) return true;
    if (spec.lo !== undefined && value < spec.lo) return true;
    if (spec.risePerMin !== undefined || spec.fallPerMin !== undefined) {
      const rate = w.ratePerMin(at, Math.min(windowMs, RATE_WINDOW_MS));
      if (rate !== undefined && spec.risePerMin !== undefined && rate >= spec.risePerMin) return true;
      if (rate !== undefined && spec.fallPerMin !== undefined && -rate >= spec.fallPerMin) return true;
    }
    return false;
  }

  /**
   * Refreshes each condition's matches as of `at`, then drives each incident's lifecycle. Point
   * conditions are refreshed on the tick only (`points`): readings arrive on every commit, several
   * a second, and judging 500 rules over thousands of points each time cost ingest a quarter of
   * its rate. Alarm changes are judged on the commit that carries them, for the incidents with a
   * condition the changed alarms match or matched (`only`); the others' windows age on the tick.
   */
  function evaluate(points = true, only?: Iterable<Incident>): void {
    const at = mono();
    let emitted = 0;
    for (const inc of only ?? incidents.values()) {
      for (const c of inc.conditions) {
        if (c.kind === 'point' && points) {
          for (const [pointId, w] of c.windows) if (pointTrue(c, w, inc.windowMs, at)) c.lastTrue.set(pointId, at);
        }
        for (const [id, t] of c.lastTrue) if (t < at - inc.windowMs) c.lastTrue.delete(id);
      }
      emitted += drive(inc, { kind: 'condition', active: holds(inc) }, null, () => inc.conditions.map((c) => [...(c.kind === 'alarm' ? matchingOf(c) : []), ...c.lastTrue.keys()]));
    }
    if (emitted > 0) scheduleFlush();
  }
  /** incidents an alarm event of the commit being handled may change (see evaluate) */
  const touched = new Set<Incident>();

  function matchingOf(c: CompiledCondition): Set<string> {
    if (c.matching === undefined) {
      c.matching = new Set();
      for (const a of active.values()) if (alarmMatches(c, a)) c.matching.add(a.id);
    }
    return c.matching;
  }

  /** how many subjects of a condition are true within its window (matching and lastTrue are disjoint) */
  function trueCount(c: CompiledCondition): number {
    return (c.kind === 'alarm' ? matchingOf(c).size : 0) + c.lastTrue.size;
  }

  /** any: at least `min` distinct matches over its conditions; all: every condition has one. */
  function holds(inc: Incident): boolean {
    if (inc.mode === 'all') return inc.conditions.every((c) => trueCount(c) > 0);
    if (inc.conditions.length === 1) return trueCount(inc.conditions[0]!) >= inc.min;
    const distinct = new Set<string>();
    for (const c of inc.conditions) {
      if (c.kind === 'alarm') for (const id of matchingOf(c)) distinct.add(id);
      for (const id of c.lastTrue.keys()) distinct.add(id);
    }
    return distinct.size >= inc.min;
  }

  /**
   * `matches`: each condition's counted ids, asked for only when a raise or a raised incident
   * needs its members (on most commits most incidents are normal and stay so).
   */
  function drive(inc: Incident, input: MachineInput, actor: { who: string; comment: string | null } | null, matches?: () => string[][]): number {
    const wall = now();
    const before = inc.machine;
    const { next, transition } = step(before, input, wall, MACHINE);
    inc.machine = next;
    const counted = matches && (transition === 'raised' || (next.active && inc.membersMayGrow)) ? matches() : undefined;
    if (matches) inc.membersMayGrow = false;
    const alarmIds = counted ? counted.flatMap((ids, i) => (inc.conditions[i]!.kind === 'alarm' ? ids : [])) : [];
    const r = inc.record;
    if (transition === 'raised') {
      const devices = [...new Set(alarmIds.map((id) => active.get(id)?.device).filter((d): d is string => !!d))].sort();
      const count = alarmIds.length > 0 ? new Set(alarmIds).size : new Set(counted?.flat() ?? []).size;
      inc.record = { ...r, message: incidentMessage(inc.rule.message ?? inc.rule.id, count, devices), raisedAt: wall, returnedAt: null, ackedAt: null, ackedBy: null, members: [...new Set(alarmIds)].sort() };
    } else if (next.active && alarmIds.length > 0 && hasNewMember(r.members, alarmIds)) {
      // members joining while it is raised are part of it too ("at raise time and since")
      inc.record = { ...r, members: [...new Set([...r.members, ...alarmIds])].sort() };
    }
    if (transition === 'returned') inc.record = { ...inc.record, returnedAt: wall };
    if (transition === 'acked' || transition === 'reset') inc.record = { ...inc.record, ackedAt: wall, ackedBy: actor?.who ?? null };
    if (inc.record.state !== next.state || inc.record.active !== next.active) inc.record = { ...inc.record, state: next.state, active: next.active };
    if (transition !== 'raised' && transition !== 'returned' && transition !== 'acked' && transition !== 'reset') return 0;
    const data: IncidentEventData = {
      ...inc.record,
      incidentId: inc.record.id,
      transition,
      who: actor?.who ?? null,
      comment: actor?.comment ?? null,
      symptoms: membersSymptoms(inc.record.members),
    };
    store.appendEvent(`${INCIDENT_EVENT_PREFIX}${transition}`, data as unknown as Record<string, unknown>, wall);
    const log = transition === 'raised' ? logger.warn : logger.info;
    log.call(logger, `incident ${transition}`, { incident: inc.record.id, severity: inc.record.severity, message: inc.record.message });
    return 1;
  }

  function membersSymptoms(members: readonly string[]): SymptomLink[] {
    return symptomLinks(activeView, topology).filter((l) => members.includes(l.alarmId) || members.includes(l.causeId));
  }

  const flush = createEventFlush(store, logger, 'incident events');
  function scheduleFlush(): void {
    if (started) flush.soon();
  }


  function onAlarmEvent(data: AlarmEventData): void {
    if (typeof data.alarmId !== 'string') return;
    const record: AlarmRecord = { ...data, id: data.alarmId };
    // Shelved and out-of-service alarms are set aside by an operator: they make no incident.
    if (record.active && record.state !== 'shelved' && record.state !== 'out-of-service') {
      active.set(record.id, record);
      for (const inc of incidents.values()) {
        for (const c of inc.conditions) {
          if (c.kind !== 'alarm') continue;
          // judged again on every event: its severity or device may have changed
          if (alarmMatches(c, record)) {
            const fresh = c.matching === undefined;
            const matching = matchingOf(c);
            if (fresh || !matching.has(record.id)) {
              matching.add(record.id);
              inc.membersMayGrow = true;
            }
            c.lastTrue.delete(record.id);
            touched.add(inc);
          } else if (leaves(c, record.id)) touched.add(inc);
        }
      }
    } else if (active.has(record.id)) {
      // still active while the conditions let it go, so one not yet asked about finds it matching
      for (const inc of incidents.values()) for (const c of inc.conditions) if (c.kind === 'alarm' && leaves(c, record.id)) touched.add(inc);
      active.delete(record.id);
    }
  }

  /**
   * An alarm no longer matching `c` stays counted for the window from now: one commit may carry
   * its raise and its return (a glitch shorter than the commit interval), and the evaluation after
   * the batch must still count it. Returns whether it was matching.
   */
  function leaves(c: CompiledCondition, id: string): boolean {
    if (!matchingOf(c).delete(id)) return false;
    c.lastTrue.set(id, mono());
    return true;
  }

  function onReadings(readings: readonly Reading[], numbers: Int32Array | undefined): void {
    if (pointConditions.length === 0) return;
    const at = mono();
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      if (typeof r.value !== 'number' || r.quality === 'bad') continue;
      const n = numbers?.[i] ?? -1;
      let w = n >= 0 ? decidedByNumber[n] : decidedById.get(r.pointId);
      if (w === undefined) {
        w = watch(r.pointId);
        if (n >= 0) decidedByNumber[n] = w;
        else decidedById.set(r.pointId, w);
      }
      w?.add(at, r.value);
    }
  }

  let pointConditions = pointConditionsOf();
  let pointCandidates = indexByDevice(pointConditions, (c) => c.point!.point);
  function pointConditionsOf(): CompiledCondition[] {
    return [...incidents.values()].flatMap((inc) => inc.conditions.filter((c) => c.kind === 'point'));
  }
  /** A point's first reading: its window, handed to every condition that watches it, or null when none does. */
  function watch(pointId: string): PointWindow | null {
    const known = windows.get(pointId);
    if (known) return known;
    const watchers = pointCandidates(pointId).filter((c) => pointWatched(c, pointId));
    if (watchers.length === 0) return null;
    const w = createPointWindow(() => keepMs);
    for (const c of watchers) c.windows.push([pointId, w]);
    windows.set(pointId, w);
    return w;
  }

  function onCommit(batch: CommittedBatch): void {
    for (const e of batch.events) if (e.type.startsWith(ALARM_PREFIX)) onAlarmEvent(e.data as unknown as AlarmEventData);
    if (batch.readings.length > 0) onReadings(batch.readings, batch.pointIds);
    // only alarm events touch incidents here: none, nothing to judge before the tick
    if (touched.size > 0) evaluate(false, touched);
    touched.clear();
  }

  function restore(): void {
    const wallNow = now();
    for (const a of options.alarms.list('active')) {
      if (a.active && a.state !== 'shelved' && a.state !== 'out-of-service') active.set(a.id, a);
    }
    for (const inc of incidents.values()) {
      for (const c of inc.conditions) c.matching = undefined;
      inc.membersMayGrow = true;
    }
    const records = recoverIncidents((after, limit) => store.eventsAfter(after, limit));
    let closed = 0;
    for (const [id, rec] of records) {
      const inc = incidents.get(id);
      if (!inc) {
        // its rule left the config while the gateway was stopped: closed, so upstream does not show it raised forever
        if (isOpen(rec)) closed += closeRecord(rec, REMOVED_REASON);
        continue;
      }
      inc.record = { ...rec, severity: inc.rule.severity };
      inc.machine = { state: rec.state, active: rec.active, raw: rec.active, rawSince: wallNow, shelvedUntil: null };
    }
    logger.info('incidents restored', { rules: incidents.size, raised: [...incidents.values()].filter((i) => i.record.state !== 'normal').length, activeAlarms: active.size, closed });
    if (closed > 0) flush.now();
  }

  /** Writes `incident.removed`: the record as it was, now normal and inactive, with why. */
  function closeRecord(record: IncidentRecord, reason: string): number {
    const wall = now();
    const data: IncidentEventData = {
      ...record,
      state: 'normal',
      active: false,
      incidentId: record.id,
      transition: 'removed',
      from: record.state,
      who: null,
      comment: reason,
      symptoms: [],
    };
    store.appendEvent(`${INCIDENT_EVENT_PREFIX}removed`, data as unknown as Record<string, unknown>, wall);
    logger.info('incident removed', { incident: record.id, from: record.state, reason });
    return 1;
  }

  function replaceRules(rules: readonly IncidentRule[], nextCorrelation?: CorrelationSection): IncidentRulesReplaced {
    const result: IncidentRulesReplaced = { added: [], removed: [], changed: [] };
    correlation = nextCorrelation ?? DEFAULT_CORRELATION;
    const wanted = new Map(rules.map((r) => [r.id, r]));
    let closed = 0;
    for (const [id, inc] of incidents) {
      if (wanted.has(id)) continue;
      if (started && isOpen(inc.record)) closed += closeRecord(inc.record, REMOVED_REASON);
      incidents.delete(id);
      result.removed.push(id);
    }
    for (const rule of rules) {
      const current = incidents.get(rule.id);
      // a rule is plain data from the site file: the same text is the same rule
      if (current && JSON.stringify(current.rule) === JSON.stringify(rule)) continue;
      if (current && started && isOpen(current.record)) closed += closeRecord(current.record, CHANGED_REASON);
      incidents.set(rule.id, newIncident(rule));
      (current ? result.changed : result.added).push(rule.id);
    }
    // keeps the config's order (list() sorts anyway, but health and tests read the map)
    const ordered = rules.map((r) => [r.id, incidents.get(r.id)!] as const);
    incidents.clear();
    for (const [id, inc] of ordered) incidents.set(id, inc);
    keepMs = keepMsOf(rules);
    rewatchPoints();
    if (closed > 0) flush.now();
    if (started && (result.added.length > 0 || result.changed.length > 0)) evaluate();
    logger.info('incident rules replaced', { added: result.added.length, removed: result.removed.length, changed: result.changed.length, rules: incidents.size });
    return result;
  }

  /**
   * The point conditions changed: each point watched so far is handed to the conditions that
   * watch it now, and keeps its window (its samples serve the new conditions at once); one no
   * condition watches any more is forgotten. Every other point is decided again on its next
   * reading (one watched by none had no samples to keep).
   */
  function rewatchPoints(): void {
    pointConditions = pointConditionsOf();
    pointCandidates = indexByDevice(pointConditions, (c) => c.point!.point);
    decidedByNumber = [];
    decidedById = new Map();
    for (const [pointId, window] of windows) {
      const watchers = pointCandidates(pointId).filter((c) => pointWatched(c, pointId));
      if (watchers.length === 0) {
        windows.delete(pointId);
        continue;
      }
      for (const c of watchers) if (!c.windows.some(([id]) => id === pointId)) c.windows.push([pointId, window]);
    }
  }

  const recordCopy = (r: IncidentRecord): IncidentRecord => ({ ...r, members: [...r.members] });

  return {
    start() {
      if (started) return;
      restore();
      started = true;
      unsubscribe = store.onCommit((batch) => {
        try {
          onCommit(batch);
        } catch (err) {
          logger.error('incident evaluation failed', { err: errorMessage(err) });
        }
      });
      evaluate();
      const tickMs = options.tickMs ?? 1000;
      if (tickMs > 0) {
        timer = setInterval(() => {
          try {
            evaluate();
          } catch (err) {
            logger.error('incident tick failed', { err: errorMessage(err) });
          }
        }, tickMs);
        timer.unref();
      }
    },
    tick: evaluate,
    replaceRules,
    stop() {
      started = false;
      unsubscribe?.();
      unsubscribe = undefined;
      if (timer) clearInterval(timer);
      flush.cancel();
    },
    list: () =>
      [...incidents.values()]
        .map((i) => recordCopy(i.record))
        .sort((a, b) => Number(b.state !== 'normal') - Number(a.state !== 'normal') || (b.raisedAt ?? 0) - (a.raisedAt ?? 0) || a.id.localeCompare(b.id)),
    get: (id) => {
      const inc = incidents.get(id);
      return inc ? recordCopy(inc.record) : undefined;
    },
    ack(id, user, comment) {
      const inc = incidents.get(id);
      if (!inc) return undefined;
      if (drive(inc, { kind: 'ack' }, { who: user, comment: comment ?? null }) > 0) flush.now();
      return recordCopy(inc.record);
    },
    causeOf(alarmId) {
      if (!correlation.symptoms) return undefined;
      const alarm = active.get(alarmId);
      if (!alarm) return undefined;
      return causeOfAlarm(alarm, activeView, topology);
    },
    symptoms: () => (correlation.symptoms ? symptomLinks(activeView, topology) : []),
    isHeld(alarm) {
      if (!correlation.symptoms || !correlation.holdNotifications.includes(alarm.severity)) return false;
      // The alarm's own event may be what is being notified: look its cause up by its device.
      return causeOfAlarm(alarm, activeView, topology) !== undefined;
    },
  };
}

// A record's members array is replaced, never changed in place, when members join: its set is built once.
const memberSets = new WeakMap<readonly string[], ReadonlySet<string>>();
function hasNewMember(members: readonly string[], ids: readonly string[]): boolean {
  let known = memberSets.get(members);
  if (!known) {
    known = new Set(members);
    memberSets.set(members, known);
  }
  return ids.some((id) => !known.has(id));
}

const REMOVED_REASON = 'rule removed from the config';
const CHANGED_REASON = 'rule changed in the config; it starts again from normal';

/** raised, or returned and not yet acknowledged: something upstream still shows */
function isOpen(record: IncidentRecord): boolean {
  return record.state !== 'normal' || record.active;
}

function keepMsOf(rules: readonly IncidentRule[]): number {
  return Math.max(60_000, ...rules.map((r) => r.when.withinS * 1000));
}

function emptyRecord(rule: IncidentRule): IncidentRecord {
  return {
    id: rule.id,
    severity: rule.severity,
    message: rule.message ?? rule.id,
    state: 'normal',
    active: false,
    raisedAt: null,
    returnedAt: null,
    ackedAt: null,
    ackedBy: null,
    members: [],
  };
}
