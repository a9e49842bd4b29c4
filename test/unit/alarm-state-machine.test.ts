/**
 * The ISA-18.2 lifecycle with fake time: every transition, on/off delays, shelve expiry, latching,
 * out of service, and the operator inputs that must be refused.
 */
import { describe, expect, it } from 'vitest';
import {
  hasPendingTime,
  initialMachineState,
  type MachineConfig,
  type MachineInput,
  type MachineState,
  step,
} from '../../gateway/alarms/state-machine.js';
import type { AlarmState, Transition } from '../../gateway/alarms/types.js';

const T0 = 1_700_000_000_000;
const PLAIN: MachineConfig = { onDelayMs: 0, offDelayMs: 0, latch: false };

const on: MachineInput = { kind: 'condition', active: true };
const off: MachineInput = { kind: 'condition', active: false };
const tick: MachineInput = { kind: 'tick' };
const ack: MachineInput = { kind: 'ack' };

/** A state the alarm is in, built the way it gets there (so `raw` and `active` agree). */
function at(state: AlarmState, active: boolean, extra: Partial<MachineState> = {}): MachineState {
  return { ...initialMachineState(T0), state, active, raw: active, ...extra };
}

/** Applies [ms after T0, input] steps; returns the final state and every transition in order. */
function run(start: MachineState, steps: Array<[number, MachineInput]>, cfg: MachineConfig = PLAIN) {
  let s = start;
  const transitions: Array<Transition | `rejected: ${string}`> = [];
  for (const [dt, input] of steps) {
    const r = step(s, input, T0 + dt, cfg);
    if (r.transition) transitions.push(r.transition);
    if (r.rejected) transitions.push(`rejected: ${r.rejected}`);
    s = r.next;
  }
  return { state: s.state, active: s.active, transitions, machine: s };
}

interface Case {
  name: string;
  start: MachineState;
  steps: Array<[number, MachineInput]>;
  cfg?: MachineConfig;
  state: AlarmState;
  active: boolean;
  transitions: string[];
}

const LATCH: MachineConfig = { ...PLAIN, latch: true };
const shelveFor = (ms: number): MachineInput => ({ kind: 'shelve', until: T0 + ms });

const cases: Case[] = [
  // The basic cycle
  { name: 'normal → unack when the condition comes', start: at('normal', false), steps: [[0, on]], state: 'unack', active: true, transitions: ['raised'] },
  { name: 'unack → acked on ack', start: at('unack', true), steps: [[0, ack]], state: 'acked', active: true, transitions: ['acked'] },
  { name: 'acked → normal when the condition goes', start: at('acked', true), steps: [[0, off]], state: 'normal', active: false, transitions: ['returned'] },
  { name: 'unack → rtn-unack when the condition goes unacknowledged', start: at('unack', true), steps: [[0, off]], state: 'rtn-unack', active: false, transitions: ['returned'] },
  { name: 'rtn-unack → normal on ack', start: at('rtn-unack', false), steps: [[0, ack]], state: 'normal', active: false, transitions: ['acked'] },
  { name: 'rtn-unack → unack when the condition comes back', start: at('rtn-unack', false), steps: [[0, on]], state: 'unack', active: true, transitions: ['raised'] },
  { name: 'a repeated condition changes nothing', start: at('unack', true), steps: [[0, on], [5, on], [9, tick]], state: 'unack', active: true, transitions: [] },
  { name: 'a full cycle', start: at('normal', false), steps: [[0, on], [1, ack], [2, off]], state: 'normal', active: false, transitions: ['raised', 'acked', 'returned'] },

  // Delays
  { name: 'on-delay: not raised before the delay', start: at('normal', false), cfg: { ...PLAIN, onDelayMs: 10_000 }, steps: [[0, on], [9_999, tick]], state: 'normal', active: false, transitions: [] },
  { name: 'on-delay: raised by a tick exactly at the delay', start: at('normal', false), cfg: { ...PLAIN, onDelayMs: 10_000 }, steps: [[0, on], [10_000, tick]], state: 'unack', active: true, transitions: ['raised'] },
  { name: 'on-delay: raised by a sample after the delay', start: at('normal', false), cfg: { ...PLAIN, onDelayMs: 10_000 }, steps: [[0, on], [5_000, on], [12_000, on]], state: 'unack', active: true, transitions: ['raised'] },
  { name: 'on-delay: a blip shorter than the delay never raises', start: at('normal', false), cfg: { ...PLAIN, onDelayMs: 10_000 }, steps: [[0, on], [9_000, off], [20_000, tick]], state: 'normal', active: false, transitions: [] },
  { name: 'on-delay restarts after a blip', start: at('normal', false), cfg: { ...PLAIN, onDelayMs: 10_000 }, steps: [[0, on], [5_000, off], [6_000, on], [15_000, tick], [16_000, tick]], state: 'unack', active: true, transitions: ['raised'] },
  { name: 'off-delay: still in alarm before the delay', start: at('acked', true), cfg: { ...PLAIN, offDelayMs: 5_000 }, steps: [[0, off], [4_999, tick]], state: 'acked', active: true, transitions: [] },
  { name: 'off-delay: returns at the delay', start: at('acked', true), cfg: { ...PLAIN, offDelayMs: 5_000 }, steps: [[0, off], [5_000, tick]], state: 'normal', active: false, transitions: ['returned'] },
  { name: 'off-delay: a short dip keeps the alarm', start: at('unack', true), cfg: { ...PLAIN, offDelayMs: 5_000 }, steps: [[0, off], [3_000, on], [10_000, tick]], state: 'unack', active: true, transitions: [] },
  { name: 'ack during the off-delay', start: at('unack', true), cfg: { ...PLAIN, offDelayMs: 5_000 }, steps: [[0, off], [1_000, ack], [5_000, tick]], state: 'normal', active: false, transitions: ['acked', 'returned'] },

  // Latching
  { name: 'latch: acked → latched when the condition goes', start: at('acked', true), cfg: LATCH, steps: [[0, off]], state: 'latched', active: false, transitions: ['returned'] },
  { name: 'latch: unack → latched when the condition goes', start: at('unack', true), cfg: LATCH, steps: [[0, off]], state: 'latched', active: false, transitions: ['returned'] },
  { name: 'latch: latched → normal on ack (reset)', start: at('latched', false), cfg: LATCH, steps: [[0, ack]], state: 'normal', active: false, transitions: ['reset'] },
  { name: 'latch: latched → unack when the condition comes back', start: at('latched', false), cfg: LATCH, steps: [[0, on]], state: 'unack', active: true, transitions: ['raised'] },
  { name: 'latch: time alone never clears a latched alarm', start: at('latched', false), cfg: LATCH, steps: [[3_600_000, tick]], state: 'latched', active: false, transitions: [] },

  // Shelving
  { name: 'shelve an unacknowledged alarm', start: at('unack', true), steps: [[0, shelveFor(60_000)]], state: 'shelved', active: true, transitions: ['shelved'] },
  { name: 'shelve a normal alarm (a known-bad sensor)', start: at('normal', false), steps: [[0, shelveFor(60_000)]], state: 'shelved', active: false, transitions: ['shelved'] },
  { name: 'shelved: the condition is tracked silently', start: at('normal', false), steps: [[0, shelveFor(60_000)], [1, on], [2, off], [3, on]], state: 'shelved', active: true, transitions: ['shelved'] },
  { name: 'shelve expiry with the condition active → unack', start: at('acked', true), steps: [[0, shelveFor(60_000)], [59_999, tick], [60_000, tick]], state: 'unack', active: true, transitions: ['shelved', 'unshelved'] },
  { name: 'shelve expiry with the condition gone → normal', start: at('unack', true), steps: [[0, shelveFor(60_000)], [10_000, off], [60_000, tick]], state: 'normal', active: false, transitions: ['shelved', 'unshelved'] },
  { name: 'unshelve by hand', start: at('unack', true), steps: [[0, shelveFor(60_000)], [1_000, { kind: 'unshelve' }]], state: 'unack', active: true, transitions: ['shelved', 'unshelved'] },
  { name: 'shelve again extends the shelve', start: at('unack', true), steps: [[0, shelveFor(60_000)], [50_000, shelveFor(120_000)], [60_000, tick]], state: 'shelved', active: true, transitions: ['shelved', 'shelved'] },
  { name: 'ack is refused while shelved', start: at('unack', true), steps: [[0, shelveFor(60_000)], [1, ack]], state: 'shelved', active: true, transitions: ['shelved', 'rejected: nothing to acknowledge (the alarm is shelved)'] },
  { name: 'shelve into the past is refused', start: at('unack', true), steps: [[0, shelveFor(0)]], state: 'unack', active: true, transitions: ['rejected: the shelve must end in the future'] },
  { name: 'unshelve of an alarm not shelved is refused', start: at('unack', true), steps: [[0, { kind: 'unshelve' }]], state: 'unack', active: true, transitions: ['rejected: the alarm is not shelved'] },

  // Out of service
  { name: 'remove from service', start: at('unack', true), steps: [[0, { kind: 'out-of-service' }], [1, off], [2, on]], state: 'out-of-service', active: true, transitions: ['out-of-service'] },
  { name: 'out of service never expires', start: at('normal', false), steps: [[0, { kind: 'out-of-service' }], [86_400_000, tick]], state: 'out-of-service', active: false, transitions: ['out-of-service'] },
  { name: 'return to service with the condition active → unack', start: at('normal', false), steps: [[0, { kind: 'out-of-service' }], [1, on], [2, { kind: 'in-service' }]], state: 'unack', active: true, transitions: ['out-of-service', 'in-service'] },
  { name: 'return to service with the condition gone → normal', start: at('acked', true), steps: [[0, { kind: 'out-of-service' }], [1, off], [2, { kind: 'in-service' }]], state: 'normal', active: false, transitions: ['out-of-service', 'in-service'] },
  { name: 'shelving an out-of-service alarm is refused', start: at('out-of-service', false), steps: [[0, shelveFor(60_000)]], state: 'out-of-service', active: false, transitions: ['rejected: the alarm is out of service'] },
  { name: 'out of service ends a shelve', start: at('unack', true), steps: [[0, shelveFor(60_000)], [1, { kind: 'out-of-service' }], [60_000, tick]], state: 'out-of-service', active: true, transitions: ['shelved', 'out-of-service'] },

  // Refused acks
  { name: 'ack of a normal alarm is refused', start: at('normal', false), steps: [[0, ack]], state: 'normal', active: false, transitions: ['rejected: nothing to acknowledge (the alarm is normal)'] },
  { name: 'a second ack is refused', start: at('unack', true), steps: [[0, ack], [1, ack]], state: 'acked', active: true, transitions: ['acked', 'rejected: nothing to acknowledge (the alarm is acked)'] },
];

describe('alarm state machine', () => {
  it.each(cases)('$name', ({ start, steps, cfg, state, active, transitions }) => {
    const result = run(start, steps, cfg);
    expect(result.transitions).toEqual(transitions);
    expect(result.state).toBe(state);
    expect(result.active).toBe(active);
  });

  it('covers every state and every transition it can make', () => {
    const states = new Set(cases.map((c) => run(c.start, c.steps, c.cfg).state));
    const transitions = new Set(cases.flatMap((c) => run(c.start, c.steps, c.cfg).transitions).filter((t) => !t.startsWith('rejected')));
    expect([...states].sort()).toEqual(['acked', 'latched', 'normal', 'out-of-service', 'rtn-unack', 'shelved', 'unack']);
    expect([...transitions].sort()).toEqual(['acked', 'in-service', 'out-of-service', 'raised', 'reset', 'returned', 'shelved', 'unshelved']);
  });

  it('is pure: the input state is never modified', () => {
    const start = at('unack', true);
    const copy = structuredClone(start);
    step(start, ack, T0, PLAIN);
    step(start, off, T0, { ...PLAIN, offDelayMs: 1000 });
    expect(start).toEqual(copy);
  });

  it('says when only time can still change something', () => {
    const cfg = { ...PLAIN, onDelayMs: 10_000 };
    const waiting = step(at('normal', false), on, T0, cfg).next;
    expect(hasPendingTime(waiting)).toBe(true);
    expect(hasPendingTime(step(waiting, tick, T0 + 10_000, cfg).next)).toBe(false);
    expect(hasPendingTime(step(at('unack', true), shelveFor(1000), T0, PLAIN).next)).toBe(true);
  });
});
