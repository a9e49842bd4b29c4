/**
 * One alarm at run time: its lifecycle state (state-machine.ts), the record the API shows, and
 * the condition evaluation for its rule type. It does no I/O: each method returns the changes it
 * made, and the engine turns them into events.
 */
import type { Reading } from '../../core/types.js';
import type { PointValue } from '../../core/types.js';
import type { AlarmDef } from './alarm-def.js';
import { type ChatterTracker, createChatterTracker } from './chatter.js';
import { ALL_NUMBERS, type Condition, createCondition, NO_NUMBERS, type NumberRange, steadyRange } from './conditions.js';
import { renderMessage } from './message.js';
import { hasPendingTime, idleMachineState, type MachineConfig, type MachineInput, type MachineState, sharedMachineConfig, step } from './state-machine.js';
import type { Actor, AlarmRecord, AlarmState, Transition } from './types.js';
import type { WatchedPoints } from './watched-points.js';

export interface AlarmChange {
  transition: Transition;
  from: AlarmState;
  who: string | null;
  comment: string | null;
}

/**
 * A moment on both clocks (gateway/clock.ts): `wall` stamps the record and its events, `mono`
 * measures every delay, window and timeout, so a wall-clock step never shortens or stretches them.
 */
export interface Instant {
  wall: number;
  mono: number;
}

/** What time-driven conditions need from the engine (times on the monotonic clock). */
export interface TickContext {
  /** when the point last had a good sample (or when watching started) */
  lastGoodAt(pointId: string): number;
  /** since when the device's comm state has been `down`, or null */
  downSince(deviceId: string): number | null;
  /** whether the device has answered (been up or degraded) since the engine started */
  answered(deviceId: string): boolean;
  /** the reason of a raised self-health condition (`storage`), or null while it is not raised */
  system(conditionId: string): string | null;
  /** what an analytics alarm's finding says while active (expected vs seen), or null */
  analytics(alarmId: string): string | null;
}

export interface Alarm {
  readonly def: AlarmDef;
  record(): AlarmRecord;
  onReading(reading: Reading, at: Instant): readonly AlarmChange[];
  /**
   * The numbers a good reading may take without changing this alarm in its state now (empty while
   * a delay runs: every reading then goes to the state machine, which may end it).
   */
  quiet(): Readonly<NumberRange>;
  onTick(at: Instant, ctx: TickContext): readonly AlarmChange[];
  /** an operator action; `rejected` says why nothing changed */
  operate(input: MachineInput, actor: Actor, at: Instant): { changes: AlarmChange[]; rejected?: string };
}

/** Shared by every evaluation that changes nothing (most of them), so the hot path allocates nothing. */
const NO_CHANGES: readonly AlarmChange[] = Object.freeze([]);

export interface AlarmOptions {
  chatterPerMinute: number;
  /** the last persisted record (restart): its state continues, no new raise for a still-active condition */
  restored?: AlarmRecord;
  now: Instant;
  /**
   * The engine's slot for the alarm's point: readings in the point's quiet band are settled there
   * without this alarm (watched-points.ts), which then takes their value from it, and a change of
   * this alarm's state empties the band until the engine sets it again. Absent: the alarm is
   * handed every reading.
   */
  watch?: { points: WatchedPoints; slot: number };
}

export function emptyRecord(def: AlarmDef): AlarmRecord {
  return {
    id: def.id,
    rule: def.rule.id,
    type: def.type,
    level: def.level,
    point: def.point,
    device: def.device,
    severity: def.severity,
    state: 'normal',
    active: false,
    value: null,
    unit: def.unit,
    message: '',
    raisedAt: null,
    returnedAt: null,
    ackedAt: null,
    ackedBy: null,
    ackComment: null,
    shelvedAt: null,
    shelvedBy: null,
    shelvedUntil: null,
    shelveComment: null,
    chattering: false,
    changedAt: null,
  };
}

export function createAlarm(def: AlarmDef, opts: AlarmOptions): Alarm {
  return new RuntimeAlarm(def, opts);
}

/**
 * A class rather than a closure per method: a site has ~15 000 alarms, and closures cost each of
 * them a function object per method and a context (memory, and more for the GC to mark). For the
 * same reason an alarm that has never changed holds no record, no condition and no state or config
 * of its own: the record is made at its first change, the condition at its first evaluated
 * reading (the quiet band settles most readings without it), and the idle state and the config
 * are objects shared with every alarm alike.
 */
class RuntimeAlarm implements Alarm {
  readonly def: AlarmDef;
  private readonly cfg: MachineConfig;
  /** null while the alarm has never changed: its record is then emptyRecord(def) */
  private rec: AlarmRecord | null;
  private machine: MachineState;
  /**
   * made at the first raise (or for a record restored chattering): most alarms never raise, and a
   * tracker with its window is a good part of an idle alarm's memory (20 000 alarms on a large site)
   */
  private chatter: ChatterTracker | null;
  private readonly chatterPerMinute: number;
  /** made at the first reading that reaches the alarm (a rate window starts empty either way) */
  private condition: Condition | null;
  private lastValue: PointValue;
  private readonly points: WatchedPoints | undefined;
  private readonly slot: number;
  /** how many of the point's readings the band had settled when this alarm last caught up */
  private skippedSeen: number;

  constructor(def: AlarmDef, opts: AlarmOptions) {
    const rule = def.rule;
    this.def = def;
    this.cfg = sharedMachineConfig(rule.onDelayS * 1000, rule.offDelayS * 1000, rule.latch);
    const restored = opts.restored;
    // The definition may have changed since the record was written (severity, unit): config wins.
    this.rec = restored
      ? { ...restored, severity: def.severity, unit: def.unit, point: def.point, device: def.device, rule: rule.id, type: def.type, level: def.level }
      : null;
    this.machine = restored
      ? { state: restored.state, active: restored.active, raw: restored.active, rawSince: opts.now.mono, shelvedUntil: toMono(restored.shelvedUntil, opts.now) }
      : idleMachineState(opts.now.mono);
    this.chatterPerMinute = opts.chatterPerMinute;
    this.chatter = this.rec?.chattering ? createChatterTracker(opts.chatterPerMinute, opts.now.mono) : null;
    this.condition = null;
    this.lastValue = this.rec?.value ?? null;
    this.points = opts.watch?.points;
    this.slot = opts.watch?.slot ?? 0;
    this.skippedSeen = this.points ? this.points.skippedCount[this.slot]! : 0;
  }

  record(): AlarmRecord {
    return this.rec ? { ...this.rec } : emptyRecord(this.def);
  }

  /** The alarm's own record, made at its first change. */
  private ownRecord(): AlarmRecord {
    this.rec ??= emptyRecord(this.def);
    return this.rec;
  }

  onReading(reading: Reading, at: Instant): readonly AlarmChange[] {
    // Bad or uncertain samples never move a process alarm; stale and comm-loss alarms cover them.
    // An unsynchronised clock (reason `clock`) doubts the timestamp, not the value: it still counts.
    if (!valueTrusted(reading)) return NO_CHANGES;
    this.catchUp();
    const machine = this.machine;
    const def = this.def;
    if (def.type === 'stale') {
      this.lastValue = reading.value;
      return machine.raw ? this.apply({ kind: 'condition', active: false }, at, null).changes : NO_CHANGES;
    }
    this.condition ??= createCondition(def.rule, def.level, def.limit);
    const active = this.condition(reading.value, reading.ts, machine.raw);
    if (active === undefined) return NO_CHANGES;
    this.lastValue = reading.value;
    if (active === machine.raw && active === machine.active) return NO_CHANGES;
    return this.apply({ kind: 'condition', active }, at, null).changes;
  }

  quiet(): Readonly<NumberRange> {
    const machine = this.machine;
    // a stale alarm notes the value; only one that is raw-active returns on a good reading
    const def = this.def;
    if (def.type === 'stale') return machine.raw ? NO_NUMBERS : ALL_NUMBERS;
    if (machine.raw !== machine.active) return NO_NUMBERS;
    return steadyRange(def.rule, def.level, def.limit, machine.raw);
  }

  onTick(at: Instant, ctx: TickContext): readonly AlarmChange[] {
    const def = this.def;
    const rule = def.rule;
    // A value-driven alarm with no delay or shelve running and no chatter to settle: time alone
    // changes nothing (a tick visits every alarm each second; most are so).
    if (isValueDriven(rule.type) && !hasPendingTime(this.machine) && !this.chatter?.chattering) return NO_CHANGES;
    // An analytics alarm with nothing found and nothing under way, asked before anything else is
    // made: most of a site's (up to 5 000) are so on most ticks.
    let analyticsReason: string | null | undefined;
    if (rule.type === 'analytics') {
      analyticsReason = ctx.analytics(def.id);
      if (analyticsReason === null && this.idle()) return NO_CHANGES;
    }
    const now = at.mono;
    const changes: AlarmChange[] = [];
    if (rule.type === 'stale') {
      const since = ctx.lastGoodAt(def.point!);
      // A device that is down has a comm-loss alarm instead of one stale alarm per point.
      const down = ctx.downSince(def.device!) !== null;
      // Only a good sample (onReading) ends staleness: a restart restarts the clock `since` counts
      // from, and an alarm carried over must not return then and raise again staleS later.
      if (!down && now - since >= rule.staleS * 1000) changes.push(...this.apply({ kind: 'condition', active: true }, at, null).changes);
    } else if (rule.type === 'comm-loss') {
      const since = ctx.downSince(def.device!);
      // Only an answer ends a comm loss. After a restart the device is `connecting`, then `down`
      // for less than commLossS: neither says it came back, so an alarm carried over stays active
      // (it used to return at once and raise again commLossS later).
      if (since !== null ? now - since >= rule.commLossS * 1000 : ctx.answered(def.device!)) {
        changes.push(...this.apply({ kind: 'condition', active: since !== null }, at, null).changes);
      }
    } else if (rule.type === 'system' || rule.type === 'analytics') {
      const reason = rule.type === 'system' ? ctx.system(rule.condition) : (analyticsReason ?? null);
      // The reason is the alarm's value: the record and its events say why, not just that.
      if (reason !== null) this.lastValue = reason;
      changes.push(...this.apply({ kind: 'condition', active: reason !== null }, at, null).changes);
    }
    changes.push(...this.apply({ kind: 'tick' }, at, null).changes);
    if (this.chatter?.settled(now)) {
      const rec = this.ownRecord();
      rec.chattering = false;
      rec.changedAt = at.wall;
      changes.push({ transition: 'settled', from: this.machine.state, who: null, comment: null });
    }
    return changes;
  }

  operate(input: MachineInput, actor: Actor, at: Instant): { changes: AlarmChange[]; rejected?: string } {
    return this.apply(input, at, actor);
  }

  /** normal, no delay running, not chattering: a tick whose condition is false changes nothing */
  private idle(): boolean {
    const machine = this.machine;
    return machine.state === 'normal' && !machine.raw && !machine.active && !this.rec?.chattering;
  }

  /** The last value is the newest reading's: one the band settled after the last this alarm saw. */
  private catchUp(): void {
    const points = this.points;
    if (!points || points.skippedCount[this.slot] === this.skippedSeen) return;
    this.skippedSeen = points.skippedCount[this.slot]!;
    this.lastValue = points.skippedValue[this.slot]!;
  }

  private apply(input: MachineInput, at: Instant, actor: Actor | null): { changes: AlarmChange[]; rejected?: string } {
    const def = this.def;
    this.catchUp();
    const from = this.machine.state;
    // The machine runs on the monotonic clock (a shelve's end included); the record shows wall times.
    const result = step(this.machine, input, at.mono, this.cfg);
    const now = at.wall;
    if (this.points && result.next !== this.machine) this.points.unsettle(this.slot);
    const machine = result.next;
    this.machine = machine;
    // an alarm without its own record is normal and inactive: a step that leaves it so makes none
    if (this.rec !== null || machine.active) this.ownRecord().active = machine.active;
    if (!result.transition) return result.rejected ? { changes: [], rejected: result.rejected } : { changes: [] };
    const rec = this.ownRecord();
    const changes: AlarmChange[] = [];
    const t = result.transition;
    rec.state = machine.state;
    rec.changedAt = now;
    rec.value = this.lastValue;
    rec.message = renderMessage(def.template, {
      id: def.id,
      value: this.lastValue,
      unit: def.unit,
      name: def.name,
      point: def.point,
      device: def.device,
      deviceName: def.deviceName,
      severity: def.severity,
      level: def.level,
      limit: def.limit,
    });
    if (t === 'raised' || ((t === 'unshelved' || t === 'in-service') && machine.state === 'unack')) {
      rec.raisedAt = now;
      rec.returnedAt = null;
      rec.ackedAt = null;
      rec.ackedBy = null;
      rec.ackComment = null;
    }
    if (t === 'returned') rec.returnedAt = now;
    if (t === 'acked' || t === 'reset') {
      rec.ackedAt = now;
      rec.ackedBy = actor?.who ?? null;
      rec.ackComment = actor?.comment ?? null;
    }
    if (t === 'shelved') {
      rec.shelvedAt = now;
      rec.shelvedBy = actor?.who ?? null;
      rec.shelvedUntil = machine.shelvedUntil === null ? null : Math.round(at.wall + (machine.shelvedUntil - at.mono));
      rec.shelveComment = actor?.comment ?? null;
    }
    if (t === 'unshelved' || t === 'out-of-service') {
      rec.shelvedAt = null;
      rec.shelvedBy = null;
      rec.shelvedUntil = null;
      rec.shelveComment = null;
    }
    // Set before the raise is reported, so the raise that starts the chatter is not notified either.
    if (t === 'raised') this.chatter ??= createChatterTracker(this.chatterPerMinute);
    const startsChatter = t === 'raised' && this.chatter !== null && this.chatter.raised(at.mono);
    if (startsChatter) rec.chattering = true;
    changes.push({ transition: t, from, who: actor?.who ?? null, comment: actor?.comment ?? null });
    if (startsChatter) changes.push({ transition: 'chattering', from: machine.state, who: null, comment: null });
    return { changes };
  }
}

/** Limit, discrete and rate alarms follow readings; the others follow time. */
function isValueDriven(type: AlarmDef['type']): boolean {
  return type === 'limit' || type === 'discrete' || type === 'rate';
}

/** A persisted shelve end (wall) as a monotonic deadline: what was left of it by the wall clock. */
function toMono(wallTime: number | null, at: Instant): number | null {
  return wallTime === null ? null : at.mono + (wallTime - at.wall);
}

/** Good, or uncertain only because the wall clock was not synchronised when it was taken. */
export function valueTrusted(reading: Reading): boolean {
  return reading.quality === 'good' || (reading.quality === 'uncertain' && reading.reason === 'clock');
}
