/**
 * The alarm engine: evaluates every committed reading against the rules, runs the time-driven
 * parts (delays, shelve expiry, stale data, comm loss) on a tick, and writes each transition as an
 * `alarm.<transition>` event through the store, the single writer. Alarm state is the fold of those
 * events (recovery.ts), so it survives kill -9 and power loss exactly as far as the store does.
 */
import type { CommState } from '../../core/device-status.js';
import { createEventFlush } from '../store/event-flush.js';
import { monotonicOf } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { SelfHealth } from '../../core/self-health.js';
import type { Store } from '../store/types.js';
import type { Reading } from '../../core/types.js';
import { type AlarmDef, deviceOfPoint, expandRule, type NameLookup } from './alarm-def.js';
import { type Alarm, type AlarmChange, createAlarm, type Instant, type TickContext, valueTrusted } from './alarm.js';
import { createWindowCounter, MINUTE_MS } from './chatter.js';
import { NO_NUMBERS, type NumberRange } from './conditions.js';
import { recoverAlarms } from './recovery.js';
import { SYSTEM_ALARMS } from './system-alarms.js';
import type { MachineInput } from './state-machine.js';
import { createSlotsByNumber, createWatchedPoints } from './watched-points.js';
import {
  type ActionResult,
  type Actor,
  type AlarmEventData,
  type AlarmFilter,
  type AlarmHealth,
  type AlarmRecord,
  type AlarmRule,
  type AlarmService,
  type AlarmSettings,
  type NotifyTargetHealth,
  SEVERITIES,
} from './types.js';

export interface AlarmEngineOptions {
  rules: readonly AlarmRule[];
  settings: Pick<AlarmSettings, 'chatterPerMinute' | 'floodPer10Min' | 'maxShelveMinutes'>;
  store: Pick<Store, 'onCommit' | 'appendEvent' | 'eventsAfter' | 'flush' | 'latestOf'>;
  names: NameLookup;
  /** the sampler's comm state of a device: a provider, so alarms never depend on the sampler */
  deviceState: (deviceId: string) => CommState | undefined;
  /** the notifier's counters, shown in health() */
  notifyHealth?: () => NotifyTargetHealth[];
  /** the gateway's own conditions: given, the built-in system alarms (`system.storage`) follow them */
  selfHealth?: Pick<SelfHealth, 'conditions'>;
  /**
   * the analytics service's findings: `analytics` rules follow them (none without it). With
   * `candidates`, a tick asks `finding` only for the alarm ids it names (those whose finding may be
   * active now) and takes the others as quiet: a site may have 5 000 analytics alarms, few active.
   */
  analytics?: { finding(alarmId: string): string | null; candidates?(): ReadonlySet<string> };
  logger: Logger;
  /** wall clock: event timestamps and the times in alarm records */
  now?: () => number;
  /** monotonic clock: on/off delays, stale and comm-loss timers, shelve expiry, chatter and flood windows (see gateway/clock.ts) */
  monoNow?: () => number;
  /** how often delays, shelve expiry, stale data and comm loss are checked; default 1000, 0: only tick() */
  tickMs?: number;
  /** commit alarm events right after the evaluation that made them (default true), not a commit interval later */
  flushEvents?: boolean;
  /**
   * settle a reading that changes nothing by its point's quiet band, without visiting its alarms
   * (default true; watched-points.ts). false hands every reading to every alarm: the reference
   * the tests compare the shortcut with.
   */
  quietBands?: boolean;
}

/** What a live rule change did, by alarm id (a limit rule makes one alarm per level). */
export interface RulesReplaced {
  added: string[];
  removed: string[];
  /** re-made from their new definition, their state carried over (a limit changed while active stays active until a reading says otherwise) */
  changed: string[];
}

export interface AlarmEngine extends AlarmService {
  /** Restores the persisted state, then follows the store's commits and the clock. */
  start(): void;
  /**
   * A live config change: unchanged alarms keep their object, so their state, delays and chatter
   * windows go on as if nothing happened; a changed one is made anew from its new definition with
   * its record carried over; a removed one that was not normal is closed with `alarm.removed`.
   */
  replaceRules(rules: readonly AlarmRule[]): RulesReplaced;
  /** Runs the time-driven checks now (the timer calls it every tickMs). */
  tick(): void;
  stop(): void;
}

const SEVERITY_RANK = new Map(SEVERITIES.map((s, i) => [s, i]));

export function createAlarmEngine(options: AlarmEngineOptions): AlarmEngine {
  const { store, logger, settings } = options;
  const now = options.now ?? Date.now;
  // Times kept here (startedAt, lastGood, downSince, backSince, raise windows) are monotonic.
  const mono = monotonicOf(options);
  const instant = (): Instant => ({ wall: now(), mono: mono() });
  const flushEvents = options.flushEvents ?? true;
  const selfHealth = options.selfHealth;
  let rules = options.rules;
  const definitionsOf = (list: readonly AlarmRule[]): AlarmDef[] =>
    [...list, ...(selfHealth ? SYSTEM_ALARMS : [])].flatMap((r) => expandRule(r, options.names));
  const alarms = new Map<string, Alarm>();
  const quietBands = options.quietBands ?? true;
  /** per point's slot: when it last had a good sample (for stale-data alarms), its quiet band */
  const points = createWatchedPoints();
  /** each slot's alarms that read it; a slot without any is not watched now (no second id→slot map: `points` has it) */
  let alarmsOf: (Alarm[] | undefined)[] = [];
  const watchedSlot = (pointId: string): number | undefined => {
    const slot = points.find(pointId);
    return slot !== undefined && alarmsOf[slot] !== undefined ? slot : undefined;
  };
  const slotsByNumber = createSlotsByNumber(watchedSlot);
  const downSince = new Map<string, number>();
  /** when a device last came back from `down`: its points' stale timers count from there */
  const backSince = new Map<string, number>();
  /** devices that answered (up or degraded) since this start: until then their comm state says nothing yet */
  const answered = new Set<string>();
  const watchedDevices = new Set<string>();
  const raisesMinute = createWindowCounter(MINUTE_MS);
  const raises10Min = createWindowCounter(10 * MINUTE_MS);
  let startedAt = 0;
  let flood = false;
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flush = createEventFlush(store, logger, 'alarm events');
  let started = false;

  const tickContext: TickContext = {
    lastGoodAt: (pointId) => Math.max(lastGoodOf(pointId) ?? startedAt, backSince.get(deviceOfPoint(pointId)) ?? startedAt),
    downSince: (deviceId) => downSince.get(deviceId) ?? null,
    answered: (deviceId) => answered.has(deviceId),
    system: (id) => selfHealth?.conditions().find((c) => c.id === id)?.reason ?? null,
    analytics: (id) => (tickCandidates && !tickCandidates.has(id) ? null : (options.analytics?.finding(id) ?? null)),
  };
  /** during a tick: the analytics alarm ids whose finding may be active (null: ask every one) */
  let tickCandidates: ReadonlySet<string> | null = null;

  function emit(alarm: Alarm, change: AlarmChange, at: Instant): void {
    const record = alarm.record();
    const data: AlarmEventData = { ...record, alarmId: record.id, ...change };
    store.appendEvent(`alarm.${change.transition}`, data as unknown as Record<string, unknown>, at.wall);
    if (change.transition === 'raised') countRaise(at.mono);
    const log = change.transition === 'raised' ? logger.warn : logger.info;
    log.call(logger, `alarm ${change.transition}`, { alarm: record.id, state: record.state, severity: record.severity, message: record.message });
  }

  function countRaise(at: number): void {
    raisesMinute.add(at);
    raises10Min.add(at);
  }

  function emitAll(alarm: Alarm, changes: readonly AlarmChange[], at: Instant): number {
    for (const c of changes) emit(alarm, c, at);
    return changes.length;
  }

  function scheduleFlush(): void {
    if (flushEvents && started) flush.soon();
  }


  function lastGoodOf(pointId: string): number | null {
    const slot = watchedSlot(pointId);
    const at = slot === undefined ? Number.NaN : points.lastGood[slot]!;
    return Number.isNaN(at) ? null : at;
  }

  /**
   * The hot path: every committed reading; `numbers`, the store's for their points, spare a hash
   * per reading. It runs while the store publishes a commit, and the store commits the events a
   * listener appends then before that commit call returns (commit-loop.ts), so no flush is asked
   * for: one on the next turn would also commit the few readings queued by then, in a small
   * transaction of their own (one more fsync with `synchronous: full`).
   */
  function onReadings(readings: readonly Reading[], numbers?: Int32Array): void {
    const at = instant();
    // Slots are made only when the alarms are made, never during this loop: the arrays stay.
    const { lastGood, lo, hi, hole, skippedValue, skippedCount } = points;
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      const slot = numbers ? slotsByNumber.slotOf(numbers[i]!, r.pointId) : watchedSlot(r.pointId);
      if (slot === undefined) continue;
      // A reading that is not trusted moves no alarm (alarm.ts) and is not noted as a value.
      if (!valueTrusted(r)) continue;
      lastGood[slot] = at.mono;
      const v = r.value;
      // In the point's quiet band (a finite number, `v - v === 0`): every alarm would only note the value.
      if (typeof v === 'number' && v - v === 0 && v >= lo[slot]! && v <= hi[slot]! && v !== hole[slot]) {
        skippedValue[slot] = v;
        skippedCount[slot]!++;
        continue;
      }
      for (const alarm of alarmsOf[slot]!) {
        const changes = alarm.onReading(r, at);
        if (changes.length > 0) emitAll(alarm, changes, at);
      }
    }
    points.settle(bandOf);
  }

  /** The numbers in every one of the slot's alarms' quiet ranges (one hole at most: two make it empty). */
  function bandOf(slot: number): Readonly<NumberRange> {
    if (!quietBands) return NO_NUMBERS;
    let lo = Number.NEGATIVE_INFINITY;
    let hi = Number.POSITIVE_INFINITY;
    let hole = Number.NaN;
    for (const alarm of alarmsOf[slot] ?? []) {
      const q = alarm.quiet();
      lo = Math.max(lo, q.lo);
      hi = Math.min(hi, q.hi);
      if (Number.isNaN(q.hole) || q.hole === hole) continue;
      if (!Number.isNaN(hole)) return NO_NUMBERS;
      hole = q.hole;
    }
    return { lo, hi, hole };
  }

  function tick(): void {
    const at = instant();
    for (const device of watchedDevices) {
      const state = options.deviceState(device);
      if (state === 'up' || state === 'degraded') answered.add(device);
      if (state === 'down') {
        if (!downSince.has(device)) downSince.set(device, at.mono);
      } else if (downSince.delete(device)) backSince.set(device, at.mono);
    }
    let emitted = 0;
    tickCandidates = options.analytics?.candidates?.() ?? null;
    try {
      // an analytics alarm the service does not name reads as quiet, and a quiet idle alarm returns at once
      for (const alarm of alarms.values()) emitted += emitAll(alarm, alarm.onTick(at, tickContext), at);
    } finally {
      tickCandidates = null;
    }
    points.settle(bandOf);
    const floodNow = raises10Min.count(at.mono) > settings.floodPer10Min;
    if (floodNow !== flood) {
      flood = floodNow;
      if (flood) logger.warn('alarm flood', { raisesLast10Min: raises10Min.count(at.mono), limit: settings.floodPer10Min });
      else logger.info('alarm flood over');
    }
    if (emitted > 0) scheduleFlush();
  }

  function restore(): void {
    const at = instant();
    const { records, scanned } = recoverAlarms((after, limit) => store.eventsAfter(after, limit));
    for (const def of uniqueDefs(definitionsOf(rules))) {
      alarms.set(def.id, makeAlarm(def, sameSubject(records.get(def.id), def), at));
    }
    indexAlarms();
    let closed = 0;
    for (const record of records.values()) {
      const current = alarms.get(record.id);
      if (record.state === 'normal' || (current && sameSubject(record, current.def))) continue;
      // Its rule is gone from the config, or the same rule id now watches another point or device
      // (a renamed device): close it, so upstream does not show it active forever and the new
      // subject does not inherit its raise time.
      closeRecord(record, current ? 'the alarm now watches another point or device' : 'rule removed from the config', at);
      closed++;
    }
    const active = [...alarms.values()].filter((a) => a.record().state !== 'normal').length;
    logger.info('alarms restored', { rules: rules.length, alarms: alarms.size, notNormal: active, eventsScanned: scanned, closed });
    if (closed > 0) flush.now();
  }

  function uniqueDefs(defs: readonly AlarmDef[]): AlarmDef[] {
    const seen = new Set<string>();
    return defs.filter((def) => {
      if (!seen.has(def.id)) return seen.add(def.id);
      logger.warn('two alarm rules make the same alarm id; the first wins', { alarm: def.id });
      return false;
    });
  }

  /**
   * Which alarms each reading feeds, and which devices' comm state the tick follows; a point still
   * watched keeps its last good sample, one no longer watched forgets it.
   */
  function indexAlarms(): void {
    const before = alarmsOf;
    alarmsOf = [];
    slotsByNumber.forget();
    watchedDevices.clear();
    for (const alarm of alarms.values()) {
      const def = alarm.def;
      if (def.device && (def.type === 'comm-loss' || def.type === 'stale')) watchedDevices.add(def.device);
      if (!readsPoint(def)) continue;
      const slot = points.slotOf(def.point);
      const list = alarmsOf[slot];
      if (list) list.push(alarm);
      else alarmsOf[slot] = [alarm];
    }
    // exact-size copies: a list grown by push keeps room for 17 (~0.5 MB over 5 000 watched points)
    for (let slot = 0; slot < alarmsOf.length; slot++) if ((alarmsOf[slot]?.length ?? 0) > 1) alarmsOf[slot] = alarmsOf[slot]!.slice();
    for (let slot = 0; slot < before.length; slot++) if (before[slot] && !alarmsOf[slot]) points.lastGood[slot] = Number.NaN;
    for (let slot = 0; slot < alarmsOf.length; slot++) if (alarmsOf[slot]) points.setBand(slot, bandOf(slot));
  }

  /** analytics alarms follow their findings on the tick, never a reading: not called per sample */
  function readsPoint(def: AlarmDef): def is AlarmDef & { point: string } {
    return def.point !== null && def.type !== 'analytics';
  }

  function makeAlarm(def: AlarmDef, restored: AlarmRecord | undefined, at: Instant): Alarm {
    const watch = quietBands && readsPoint(def) ? { points, slot: points.slotOf(def.point) } : undefined;
    return createAlarm(def, { chatterPerMinute: settings.chatterPerMinute, restored, now: at, ...(watch && { watch }) });
  }

  function closeRecord(record: AlarmRecord, comment: string, at: Instant): void {
    const data: AlarmEventData = { ...record, state: 'normal', active: false, changedAt: at.wall, alarmId: record.id, transition: 'removed', from: record.state, who: null, comment };
    store.appendEvent('alarm.removed', data as unknown as Record<string, unknown>, at.wall);
  }

  function replaceRules(next: readonly AlarmRule[]): RulesReplaced {
    const result: RulesReplaced = { added: [], removed: [], changed: [] };
    if (!started) {
      // start() makes the alarms from these, restoring their persisted state
      rules = next;
      return result;
    }
    const at = instant();
    const defs = uniqueDefs(definitionsOf(next));
    const wanted = new Set(defs.map((d) => d.id));
    let emitted = 0;
    let closed = 0;
    for (const [id, alarm] of alarms) {
      if (wanted.has(id)) continue;
      const record = alarm.record();
      if (record.state !== 'normal') {
        closeRecord(record, 'rule removed from the config', at);
        closed++;
      }
      alarms.delete(id);
      result.removed.push(id);
    }
    for (const def of defs) {
      const current = alarms.get(def.id);
      if (current && sameDefinition(current.def, def)) continue;
      const record = current?.record();
      const carried = sameSubject(record, def);
      if (record && !carried && record.state !== 'normal') {
        closeRecord(record, 'the alarm now watches another point or device', at);
        closed++;
      }
      const alarm = makeAlarm(def, carried, at);
      alarms.set(def.id, alarm);
      (current ? result.changed : result.added).push(def.id);
      // Judged at once against the point's latest value: a point that reports on change only (an
      // OPC UA subscription, MQTT) may send no new sample for a long time.
      const latest = def.point && def.type !== 'analytics' ? store.latestOf(def.point) : undefined;
      if (latest) emitted += emitAll(alarm, alarm.onReading(latest, at), at);
    }
    rules = next;
    indexAlarms();
    if (closed > 0 || emitted > 0) flush.now();
    logger.info('alarm rules replaced', { added: result.added.length, removed: result.removed.length, changed: result.changed.length, alarms: alarms.size });
    return result;
  }

  /** A definition is plain data made by expandRule: the same text is the same alarm. */
  function sameDefinition(a: AlarmDef, b: AlarmDef): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  /** The persisted record, when it is about what the definition watches now (same kind, level, point and device). */
  function sameSubject(record: AlarmRecord | undefined, def: AlarmDef): AlarmRecord | undefined {
    if (!record) return undefined;
    const same = record.type === def.type && record.level === def.level && record.point === def.point && record.device === def.device;
    return same ? record : undefined;
  }

  function operate(id: string, input: MachineInput, actor: Actor): ActionResult {
    const alarm = alarms.get(id);
    if (!alarm) return { ok: false, code: 'not-found', message: `no alarm "${id}"` };
    const at = instant();
    const { changes, rejected } = alarm.operate(input, actor, at);
    points.settle(bandOf);
    if (rejected) return { ok: false, code: 'conflict', message: rejected };
    emitAll(alarm, changes, at);
    // An operator's action is committed before the reply says it happened.
    if (changes.length > 0) flush.now();
    return { ok: true, alarm: alarm.record() };
  }

  function listRecords(filter: AlarmFilter): AlarmRecord[] {
    const all = [...alarms.values()].map((a) => a.record());
    const picked =
      filter === 'all' ? all : filter === 'active' ? all.filter((r) => r.state !== 'normal') : all.filter((r) => r.state === filter);
    // Most severe first; within a severity, unacknowledged first, then the newest change.
    return picked.sort(
      (a, b) =>
        SEVERITY_RANK.get(a.severity)! - SEVERITY_RANK.get(b.severity)! ||
        Number(b.state === 'unack') - Number(a.state === 'unack') ||
        (b.changedAt ?? 0) - (a.changedAt ?? 0) ||
        a.id.localeCompare(b.id),
    );
  }

  return {
    start() {
      if (started) return;
      startedAt = mono();
      restore();
      started = true;
      unsubscribe = store.onCommit((batch) => {
        if (batch.readings.length > 0) onReadings(batch.readings, batch.pointIds);
      });
      const tickMs = options.tickMs ?? 1000;
      if (tickMs > 0) {
        timer = setInterval(() => {
          try {
            tick();
          } catch (err) {
            logger.error('alarm tick failed', { err: errorMessage(err) });
          }
        }, tickMs);
        timer.unref();
      }
    },
    tick,
    replaceRules,
    stop() {
      started = false;
      unsubscribe?.();
      unsubscribe = undefined;
      if (timer) clearInterval(timer);
      flush.cancel();
    },
    list: listRecords,
    get: (id) => alarms.get(id)?.record(),
    ack: (id, actor) => operate(id, { kind: 'ack' }, actor),
    shelve(id, minutes, actor) {
      if (!(minutes > 0 && minutes <= settings.maxShelveMinutes)) {
        return { ok: false, code: 'bad-request', message: `minutes must be above 0 and at most ${settings.maxShelveMinutes}` };
      }
      return operate(id, { kind: 'shelve', until: mono() + Math.round(minutes * MINUTE_MS) }, actor);
    },
    unshelve: (id, actor) => operate(id, { kind: 'unshelve' }, actor),
    setInService: (id, inService, actor) => operate(id, { kind: inService ? 'in-service' : 'out-of-service' }, actor),
    health(): AlarmHealth {
      const at = mono();
      const records = [...alarms.values()].map((a) => a.record());
      const count = (pred: (r: AlarmRecord) => boolean) => records.filter(pred).length;
      return {
        rules: rules.length,
        alarms: records.length,
        active: count((r) => r.active),
        unacked: count((r) => r.state === 'unack' || r.state === 'rtn-unack' || r.state === 'latched'),
        shelved: count((r) => r.state === 'shelved'),
        outOfService: count((r) => r.state === 'out-of-service'),
        chattering: count((r) => r.chattering),
        raisesLastMinute: raisesMinute.count(at),
        raisesLast10Min: raises10Min.count(at),
        flood: raises10Min.count(at) > settings.floodPer10Min,
        notifications: options.notifyHealth?.() ?? [],
      };
    },
  };
}
