/**
 * The action engine's live rule change (issue 18): cooldowns, hourly counts and operator disables
 * of kept actions survive, a run in progress finishes with the definition it began with, queued
 * triggers of a changed or removed action are dropped, schedules follow, an added action reads
 * its history back, and a changed secret counts as a change. Fake time, fake step runners.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Secret } from '../../core/secret.js';
import { silentLogger } from '../../core/logger.js';
import { actionRuleSchema } from '../../gateway/actions/config-schema.js';
import { type ActionEngine, createActionEngine } from '../../gateway/actions/engine.js';
import { sameActionRule } from '../../gateway/actions/same-rule.js';
import type { StepContext, StepOutcome, StepRunners } from '../../gateway/actions/step-runner.js';
import type { ActionRule, ActionRunRecord } from '../../gateway/actions/types.js';
import type { CommittedBatch, Store, StoredEvent } from '../../gateway/store/types.js';

/** An events-only store in memory: appendEvent queues, commit() hands the queue to the listeners. */
function memoryStore() {
  const events: StoredEvent[] = [];
  const queued: StoredEvent[] = [];
  const listeners: Array<(b: CommittedBatch) => void> = [];
  let seq = 0;
  return {
    appendEvent(type: string, data: Record<string, unknown>, ts = 0) {
      queued.push({ seq: ++seq, ts, type, data: structuredClone(data) });
    },
    commit(...extra: Array<{ type: string; data: Record<string, unknown> }>) {
      for (const e of extra) this.appendEvent(e.type, e.data);
      const batch = queued.splice(0);
      events.push(...batch);
      for (const l of listeners) l({ readings: [], events: batch });
    },
    onCommit(l: (b: CommittedBatch) => void) {
      listeners.push(l);
      return () => listeners.splice(listeners.indexOf(l), 1);
    },
    eventsAfter: (after: number, limit: number) => events.filter((e) => e.seq > after).slice(0, limit),
    stats: () => ({ lastEventSeq: events.at(-1)?.seq ?? 0 }) as ReturnType<Store['stats']>,
    runs: () => events.filter((e) => e.type === 'action.run').map((e) => e.data as unknown as ActionRunRecord),
  };
}

/** Runners that record each step's point (or kind); `hold()` keeps steps running until `release()`. */
function recordingRunners() {
  const calls: string[] = [];
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const run = (kind: string) => async (step: unknown, _ctx: StepContext): Promise<StepOutcome> => {
    calls.push((step as { point?: string }).point ?? kind);
    if (gate) await gate;
    return { ok: true };
  };
  const runners: StepRunners = { write: run('write'), webhook: run('webhook'), mqtt: run('mqtt'), run: run('run') };
  return {
    runners,
    calls,
    hold() {
      gate = new Promise((r) => {
        open = r;
      });
    },
    release() {
      gate = undefined;
      open?.();
    },
  };
}

const rule = (r: Record<string, unknown>): ActionRule =>
  actionRuleSchema.parse({ id: 'a1', on: { alarm: 'crac*.compressor-fault' }, do: [{ write: { point: 'crac2.unit_on', value: true } }], cooldownS: 0, maxRunsPerHour: 100, ...r });
const writeTo = (point: string) => [{ write: { point, value: true } }];
const fault = () => ({ type: 'alarm.raised', data: { alarmId: 'crac1.compressor-fault', severity: 'critical' } });

let engine: ActionEngine | undefined;
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  vi.useRealTimers();
});

function setup(rules: ActionRule[], store = memoryStore()) {
  const fake = recordingRunners();
  const clock = { t: 10_000_000 };
  engine = createActionEngine({ rules, gatewayId: 'gw1', store, runners: fake.runners, logger: silentLogger, now: () => clock.t, monoNow: () => clock.t });
  engine.start();
  const settle = async () => {
    await new Promise((r) => setImmediate(r));
    await engine!.idle();
    store.commit();
  };
  return { store, fake, clock, engine, settle };
}

describe('action rules replaced live', () => {
  it('an unchanged action keeps its cooldown and skip counts; an added one runs at once', async () => {
    const { store, fake, engine: e, settle } = setup([rule({ id: 'start-crac2', cooldownS: 600 })]);
    store.commit(fault());
    await settle();
    store.commit(fault());
    await settle();
    expect(e.get('start-crac2')!.skipped.cooldown).toBe(1);
    const result = e.replaceRules([rule({ id: 'start-crac2', cooldownS: 600 }), rule({ id: 'page-duty', do: writeTo('crac3.unit_on') })]);
    expect(result).toEqual({ added: ['page-duty'], removed: [], changed: [] });
    store.commit(fault());
    await settle();
    expect(fake.calls).toEqual(['crac2.unit_on', 'crac3.unit_on']);
    expect(e.get('start-crac2')!.skipped.cooldown).toBe(2);
    expect(e.get('start-crac2')!.lastRuns).toHaveLength(1);
    expect(e.list().map((s) => s.id)).toEqual(['start-crac2', 'page-duty']);
  });

  it('a changed action keeps its hourly count and an operator disable, and runs its new steps after', async () => {
    const { store, fake, clock, engine: e, settle } = setup([rule({ maxRunsPerHour: 1 }), rule({ id: 'b', on: { incident: 'x', transition: 'raised' } })]);
    store.commit(fault());
    await settle();
    e.disable('b', 30, 'olga');
    expect(e.replaceRules([rule({ maxRunsPerHour: 1, do: writeTo('crac4.unit_on') }), rule({ id: 'b', on: { incident: 'y', transition: 'raised' } })])).toEqual({
      added: [],
      removed: [],
      changed: ['a1', 'b'],
    });
    store.commit(fault());
    await settle();
    expect(e.get('a1')!.skipped['rate-limited']).toBe(1);
    expect(e.get('b')).toMatchObject({ disabledBy: 'olga' });
    clock.t += 3_600_001;
    store.commit(fault());
    await settle();
    expect(fake.calls).toEqual(['crac2.unit_on', 'crac4.unit_on']);
  });

  it('a run in progress finishes with the steps it began with and is recorded, though its action is removed', async () => {
    const { store, fake, engine: e, settle } = setup([rule({ do: [...writeTo('crac2.unit_on'), ...writeTo('crac2.setpoint')] })]);
    fake.hold();
    store.commit(fault());
    await new Promise((r) => setImmediate(r));
    expect(e.get('a1')!.running).toBe(true);
    expect(e.replaceRules([])).toEqual({ added: [], removed: ['a1'], changed: [] });
    expect(e.list()).toEqual([]);
    fake.release();
    await settle();
    expect(fake.calls).toEqual(['crac2.unit_on', 'crac2.setpoint']);
    expect(store.runs()).toHaveLength(1);
    expect(store.runs()[0]).toMatchObject({ actionId: 'a1', ok: true });
    expect(store.runs()[0]!.steps).toHaveLength(2);
    // a trigger now starts nothing
    store.commit(fault());
    await settle();
    expect(store.runs()).toHaveLength(1);
  });

  it('triggers queued for a changed action are dropped; the next trigger runs the new steps', async () => {
    const { store, fake, engine: e, settle } = setup([rule({})]);
    fake.hold();
    store.commit(fault());
    await new Promise((r) => setImmediate(r));
    store.commit(fault());
    store.commit(fault());
    expect(e.get('a1')).toMatchObject({ running: true, queued: 2 });
    e.replaceRules([rule({ do: writeTo('crac9.unit_on') })]);
    expect(e.get('a1')).toMatchObject({ running: true, queued: 0 });
    fake.release();
    await settle();
    expect(fake.calls).toEqual(['crac2.unit_on']);
    store.commit(fault());
    await settle();
    expect(fake.calls).toEqual(['crac2.unit_on', 'crac9.unit_on']);
  });

  it('an action added back reads its history: a run within its cooldown before it was removed still counts', async () => {
    const { store, fake, engine: e, settle } = setup([rule({ cooldownS: 600 })]);
    store.commit(fault());
    await settle();
    e.replaceRules([]);
    e.replaceRules([rule({ cooldownS: 600 })]);
    store.commit(fault());
    await settle();
    expect(fake.calls).toHaveLength(1);
    expect(e.get('a1')!.skipped.cooldown).toBe(1);
    expect(e.get('a1')!.lastRuns).toHaveLength(1);
  });

  it('schedules: a changed interval starts again, a removed one stops, an added one starts', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { store, fake, engine: e, settle } = setup([rule({ id: 'poll', on: { every: '1m' }, do: writeTo('a.x') })]);
    vi.advanceTimersByTime(60_000);
    await settle();
    expect(fake.calls).toEqual(['a.x']);
    e.replaceRules([rule({ id: 'poll', on: { every: '5m' }, do: writeTo('a.x') }), rule({ id: 'hourly', on: { every: '1h' }, do: writeTo('b.y') })]);
    vi.advanceTimersByTime(4 * 60_000);
    await settle();
    expect(fake.calls).toEqual(['a.x']);
    vi.advanceTimersByTime(60_000);
    await settle();
    expect(fake.calls).toEqual(['a.x', 'a.x']);
    e.replaceRules([rule({ id: 'hourly', on: { every: '1h' }, do: writeTo('b.y') })]);
    vi.advanceTimersByTime(55 * 60_000);
    await settle();
    expect(fake.calls).toEqual(['a.x', 'a.x', 'b.y']);
    expect(store.runs().map((r) => r.actionId)).toEqual(['poll', 'poll', 'hourly']);
  });
});

describe('sameActionRule', () => {
  const hook = (token: string) =>
    ({ ...rule({ do: [{ webhook: { url: 'https://ems.example/hook' } }] }), do: [{ webhook: { url: 'https://ems.example/hook', method: 'POST', headers: { authorization: new Secret(token) }, timeoutMs: 5000 } }] }) as ActionRule;
  it('compares secrets by value, though both print as [secret]', () => {
    expect(JSON.stringify(hook('one'))).toBe(JSON.stringify(hook('two')));
    expect(sameActionRule(hook('one'), hook('one'))).toBe(true);
    expect(sameActionRule(hook('one'), hook('two'))).toBe(false);
  });
  it('any other field changed is a change', () => {
    expect(sameActionRule(rule({}), rule({}))).toBe(true);
    expect(sameActionRule(rule({}), rule({ cooldownS: 1 }))).toBe(false);
    expect(sameActionRule(rule({}), rule({ dryRun: true }))).toBe(false);
  });
});
