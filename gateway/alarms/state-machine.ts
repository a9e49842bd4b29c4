/**
 * The ISA-18.2 alarm lifecycle as a pure function of (state, input, time): no clock, no I/O, so
 * every transition, delay and expiry is testable with plain numbers.
 *
 *   normal ──raise──► unack ──ack──► acked ──return──► normal
 *                       │                 (latching: ► latched ──ack──► normal)
 *                       └──return──► rtn-unack ──ack──► normal   (latching: unack ► latched)
 *   rtn-unack / latched ──raise──► unack
 *   any ──shelve──► shelved ──unshelve or expiry──► unack (condition active) or normal
 *   any ──remove──► out-of-service ──return to service──► unack or normal
 *
 * The condition is debounced here: a raw change must hold onDelayMs (raise) or offDelayMs
 * (return) before the debounced `active` follows it. A `tick` lets time alone finish a delay or
 * end a shelve.
 */
import type { AlarmState, Transition } from './types.js';

export interface MachineState {
  state: AlarmState;
  /** the debounced condition */
  active: boolean;
  /** the latest raw condition, and since when it has held */
  raw: boolean;
  rawSince: number;
  shelvedUntil: number | null;
}

export interface MachineConfig {
  onDelayMs: number;
  offDelayMs: number;
  latch: boolean;
}

export type MachineInput =
  | { kind: 'condition'; active: boolean }
  | { kind: 'tick' }
  | { kind: 'ack' }
  | { kind: 'shelve'; until: number }
  | { kind: 'unshelve' }
  | { kind: 'out-of-service' }
  | { kind: 'in-service' };

export interface StepResult {
  next: MachineState;
  /** at most one lifecycle transition per step */
  transition: Transition | null;
  /** why an operator input was refused (nothing changed) */
  rejected?: string;
}

export function initialMachineState(now: number): MachineState {
  return { state: 'normal', active: false, raw: false, rawSince: now, shelvedUntil: null };
}

let sharedIdle: Readonly<MachineState> | undefined;

/**
 * The same state as initialMachineState, one frozen object shared by every alarm made at `now`:
 * step() never mutates a state (it returns a new one), and a site's ~15 000 alarms are all made at
 * the same start, most never leaving it (one object each was ~1 MB of live heap).
 */
export function idleMachineState(now: number): MachineState {
  if (sharedIdle?.rawSince !== now) sharedIdle = Object.freeze(initialMachineState(now));
  return sharedIdle;
}

const configs = new Map<string, Readonly<MachineConfig>>();

/** One frozen config per distinct (delays, latch): a site has a handful, shared by thousands of alarms. */
export function sharedMachineConfig(onDelayMs: number, offDelayMs: number, latch: boolean): MachineConfig {
  const key = `${onDelayMs}/${offDelayMs}/${latch}`;
  let cfg = configs.get(key);
  if (!cfg) {
    cfg = Object.freeze({ onDelayMs, offDelayMs, latch });
    configs.set(key, cfg);
  }
  return cfg;
}

export function isSuppressed(state: AlarmState): boolean {
  return state === 'shelved' || state === 'out-of-service';
}

/** True when another `tick` at a later time could change something (a delay or a shelve running). */
export function hasPendingTime(s: MachineState): boolean {
  return s.raw !== s.active || (s.state === 'shelved' && s.shelvedUntil !== null);
}

export function step(s: MachineState, input: MachineInput, now: number, cfg: MachineConfig): StepResult {
  switch (input.kind) {
    case 'condition': {
      const moved = input.active === s.raw ? s : { ...s, raw: input.active, rawSince: now };
      return settle(moved, now, cfg);
    }
    case 'tick':
      if (s.state === 'shelved' && s.shelvedUntil !== null && now >= s.shelvedUntil) {
        return { next: unsuppress(s), transition: 'unshelved' };
      }
      return settle(s, now, cfg);
    case 'ack':
      return ack(s);
    case 'shelve':
      if (s.state === 'out-of-service') return refuse(s, 'the alarm is out of service');
      if (!(input.until > now)) return refuse(s, 'the shelve must end in the future');
      return { next: { ...s, state: 'shelved', shelvedUntil: input.until }, transition: 'shelved' };
    case 'unshelve':
      if (s.state !== 'shelved') return refuse(s, 'the alarm is not shelved');
      return { next: unsuppress(s), transition: 'unshelved' };
    case 'out-of-service':
      if (s.state === 'out-of-service') return refuse(s, 'the alarm is already out of service');
      return { next: { ...s, state: 'out-of-service', shelvedUntil: null }, transition: 'out-of-service' };
    case 'in-service':
      if (s.state !== 'out-of-service') return refuse(s, 'the alarm is in service');
      return { next: unsuppress(s), transition: 'in-service' };
  }
}

function refuse(s: MachineState, why: string): StepResult {
  return { next: s, transition: null, rejected: why };
}

function ack(s: MachineState): StepResult {
  switch (s.state) {
    case 'unack':
      return { next: { ...s, state: 'acked' }, transition: 'acked' };
    case 'rtn-unack':
      return { next: { ...s, state: 'normal' }, transition: 'acked' };
    case 'latched':
      return { next: { ...s, state: 'normal' }, transition: 'reset' };
    default:
      return refuse(s, `nothing to acknowledge (the alarm is ${s.state})`);
  }
}

/**
 * Leaving shelved / out of service: a still-active condition re-annunciates as a new UNACK
 * (the operator has not seen it); otherwise the alarm is back to normal.
 */
function unsuppress(s: MachineState): MachineState {
  // A delay that ran out meanwhile is applied by the next step.
  return { ...s, state: s.active ? 'unack' : 'normal', shelvedUntil: null };
}

/** Lets the debounced condition follow the raw one once its delay has run, and applies the lifecycle. */
function settle(s: MachineState, now: number, cfg: MachineConfig): StepResult {
  if (s.raw === s.active) return { next: s, transition: null };
  const delay = s.raw ? cfg.onDelayMs : cfg.offDelayMs;
  if (now - s.rawSince < delay) return { next: s, transition: null };
  const next: MachineState = { ...s, active: s.raw };
  if (isSuppressed(s.state)) return { next, transition: null };
  if (next.active) {
    // normal, rtn-unack and latched all raise again; unack/acked cannot be inactive-to-active.
    if (s.state === 'unack' || s.state === 'acked') return { next, transition: null };
    return { next: { ...next, state: 'unack' }, transition: 'raised' };
  }
  switch (s.state) {
    case 'unack':
      return { next: { ...next, state: cfg.latch ? 'latched' : 'rtn-unack' }, transition: 'returned' };
    case 'acked':
      return { next: { ...next, state: cfg.latch ? 'latched' : 'normal' }, transition: 'returned' };
    default:
      return { next, transition: null };
  }
}
