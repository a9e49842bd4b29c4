/**
 * The action engine with fake time and fake step runners: which events start which actions,
 * cooldown, hourly rate limit, dry run, operator disable, concurrency, never blocking the commit
 * listener, and what a restart reads back from the events. The real runners are in
 * test/integration/actions-steps.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { actionRuleSchema, checkActions, parseInterval } from '../../gateway/actions/config-schema.js';
import { type ActionEngine, createActionEngine } from '../../gateway/actions/engine.js';
import { globMatches } from '../../gateway/actions/match.js';
import type { StepContext, StepOutcome, StepRunners } from '../../gateway/actions/step-runner.js';
import type { ActionRule, ActionRunRecord } from '../../gateway/actions/types.js';
import type { CommittedBatch, StoredEvent } from '../../gateway/store/types.js';

/** An events-only store in memory: appendEvent queues, commit() hands the queue to the listeners. */
function fakeStore() {
  const events: StoredEvent[] = [];
  const queued: StoredEvent[] = [];
  const listeners: Array<(b: CommittedBatch) => void> = [];
  let seq = 0;
  return {
    events,
    appendEvent(type: string, data: Record<string, unknown>, ts = 0) {
      queued.push({ seq: ++seq, ts, type, data: structuredClone(data) });
    },
    /** commits what is queued plus `extra` events (alarm transitions) */
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
    stats: () => ({ lastEventSeq: events.at(-1)?.seq ?? 0 }) as ReturnType<import('../../gateway/store/types.js').Store['stats']>,
    runs: () => events.filter((e) => e.type === 'action.run').map((e) => e.data as unknown as ActionRunRecord),
  };
}

/** Runners that record their calls; `gate` holds every step until released. */
function fakeRunners() {
  const calls: Array<{ kind: string; step: unknown; ctx: StepContext }> = [];
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let inFlight = 0;
  let maxInFlight = 0;
  const outcome: { next?: StepOutcome | Error } = {};
  const run = (kind: string) => async (step: unknown, ctx: StepContext): Promise<StepOutcome> => {
    calls.push({ kind, step, ctx });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (gate) await gate;
      const next = outcome.next;
      if (next instanceof Error) throw next;
      return next ?? { ok: true, result: { done: kind } };
    } finally {
      inFlight--;
    }
  };
  const runners: StepRunners = { write: run('write'), webhook: run('webhook'), mqtt: run('mqtt'), run: run('run') };
  return {
    runners,
    calls,
    outcome,
    hold() {
      gate = new Promise((r) => {
        open = r;
      });
    },
    release() {
      gate = undefined;
      open?.();
    },
    maxInFlight: () => maxInFlight,
  };
}

const rule = (r: Record<string, unknown>): ActionRule => actionRuleSchema.parse({ id: 'a1', on: { alarm: 'crac*.compressor-fault' }, do: [{ write: { point: 'crac2.unit_on', value: true } }], cooldownS: 0, maxRunsPerHour: 100, ...r });
const alarm = (id: string, transition = 'raised') => ({ type: `alarm.${transition}`, data: { id, alarmId: id, severity: 'critical', message: `${id} is on` } });
const incident = (id: string, transition = 'raised') => ({ type: `incident.${transition}`, data: { id, severity: 'critical', message: 'Cooling loss' } });

let engine: ActionEngine | undefined;
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  vi.useRealTimers();
});

function setup(rules: ActionRule[], extra: { maxConcurrent?: number; store?: ReturnType<typeof fakeStore>; startAt?: number } = {}) {
  const store = extra.store ?? fakeStore();
  const fake = fakeRunners();
  const clock = { t: extra.startAt ?? 1_000_000 };
  engine = createActionEngine({ rules, gatewayId: 'gw1', store, runners: fake.runners, logger: silentLogger, now: () => clock.t, monoNow: () => clock.t, maxConcurrent: extra.maxConcurrent });
  engine.start();
  const settle = async () => {
    await new Promise((r) => setImmediate(r));
    await engine!.idle();
    store.commit();
  };
  return { store, fake, clock, engine, settle };
}

describe('matching', () => {
  it.each([
    ['crac*.compressor-fault', 'crac1.compressor-fault', true],
    ['crac*.compressor-fault', 'ups1.compressor-fault', false],
    ['*.on-battery', 'ups2.on-battery', true],
    ['ups?.on-battery', 'ups12.on-battery', false],
    ['cooling-loss-hall-a', 'cooling-loss-hall-a', true],
    ['cooling-loss-hall-a', 'cooling-loss-hall-ab', false],
    ['a.b', 'axb', false],
  ])('%s against %s → %s', (pattern, id, want) => {
    expect(globMatches(pattern, id)).toBe(want);
  });

  it('runs on the configured transition of a matching alarm or incident only', async () => {
    const { store, fake, settle } = setup([
      rule({ id: 'on-alarm' }),
      rule({ id: 'on-incident', on: { incident: 'cooling-loss-hall-a', transition: 'raised' } }),
      rule({ id: 'on-return', on: { alarm: 'crac1.compressor-fault', transition: 'returned' } }),
    ]);
    store.commit(alarm('crac1.compressor-fault'), alarm('ups1.on-battery'), incident('cooling-loss-hall-a'), incident('other'), { type: 'control.write', data: { id: 'crac1.compressor-fault' } });
    await settle();
    const runs = store.runs();
    expect(runs.map((r) => r.actionId).sort()).toEqual(['on-alarm', 'on-incident']);
    const inc = runs.find((r) => r.actionId === 'on-incident')!;
    expect(inc.trigger).toMatchObject({ type: 'incident', id: 'cooling-loss-hall-a', transition: 'raised', severity: 'critical' });
    expect(inc.steps).toEqual([{ kind: 'write', ok: true, result: { done: 'write' }, durationMs: 0 }]);
    expect(fake.calls).toHaveLength(2);
    store.commit(alarm('crac1.compressor-fault', 'returned'));
    await settle();
    expect(store.runs().map((r) => r.actionId)).toContain('on-return');
  });

  it('fills the template fields from the trigger', async () => {
    const { store, fake, settle } = setup([rule({ do: [{ webhook: { url: 'http://127.0.0.1:9/x', body: { text: '{triggerId} {transition} by {actionId} on {gatewayId}' } } }] })]);
    store.commit(alarm('crac2.compressor-fault'));
    await settle();
    expect(fake.calls[0]!.ctx.fields).toMatchObject({ triggerId: 'crac2.compressor-fault', transition: 'raised', actionId: 'a1', gatewayId: 'gw1', severity: 'critical' });
  });
});

describe('admission', () => {
  it('skips triggers within the cooldown, runs again after it', async () => {
    const { store, fake, clock, engine, settle } = setup([rule({ cooldownS: 600 })]);
    store.commit(alarm('crac1.compressor-fault'));
    await settle();
    clock.t += 599_000;
    store.commit(alarm('crac1.compressor-fault'));
    await settle();
    expect(fake.calls).toHaveLength(1);
    expect(engine.get('a1')!.skipped.cooldown).toBe(1);
    clock.t += 2000;
    store.commit(alarm('crac1.compressor-fault'));
    await settle();
    expect(fake.calls).toHaveLength(2);
  });

  it('allows at most maxRunsPerHour in any sliding hour', async () => {
    const { store, fake, clock, engine, settle } = setup([rule({ maxRunsPerHour: 3 })]);
    for (let i = 0; i < 5; i++) {
      store.commit(alarm('crac1.compressor-fault'));
      await settle();
      clock.t += 60_000;
    }
    expect(fake.calls).toHaveLength(3);
    expect(engine.get('a1')!.skipped['rate-limited']).toBe(2);
    clock.t += 3_600_000;
    store.commit(alarm('crac1.compressor-fault'));
    await settle();
    expect(fake.calls).toHaveLength(4);
  });

  it('dry run records what would be done without calling a runner', async () => {
    const { store, fake, settle } = setup([rule({ dryRun: true, do: [{ write: { point: 'crac2.unit_on', value: true } }, { run: { program: 'page.sh', args: ['{triggerId}'] } }] })]);
    store.commit(alarm('crac1.compressor-fault'));
    await settle();
    expect(fake.calls).toHaveLength(0);
    const [run] = store.runs();
    expect(run).toMatchObject({ actionId: 'a1', dryRun: true, ok: true });
    expect(run!.steps.map((s) => s.result)).toEqual([{ wouldDo: 'write crac2.unit_on = true' }, { wouldDo: 'run page.sh "{triggerId}"' }]);
  });

  it('an operator disable skips triggers until it ends or is lifted, and is recorded', async () => {
    const { store, fake, clock, engine, settle } = setup([rule({})]);
    expect(engine.disable('a1', 0, 'olga')).toMatchObject({ ok: false, code: 'bad-request' });
    expect(engine.disable('nope', 5, 'olga')).toMatchObject({ ok: false, code: 'not-found' });
    const r = engine.disable('a1', 30, 'olga');
    expect(r.ok && r.status.disabledUntil).toBe(clock.t + 30 * 60_000);
    store.commit(alarm('crac1.compressor-fault'));
    await settle();
    expect(fake.calls).toHaveLength(0);
    expect(engine.get('a1')!.skipped.disabled).toBe(1);
    clock.t += 30 * 60_000 + 1;
    expect(engine.get('a1')!.disabledUntil).toBeNull();
    store.commit(alarm('crac1.compressor-fault'));
    await settle();
    expect(fake.calls).toHaveLength(1);
    engine.disable('a1', 10, 'olga');
    engine.enable('a1', 'ivan');
    store.commit(alarm('crac1.compressor-fault'));
    await settle();
    expect(fake.calls).toHaveLength(2);
    expect(store.events.filter((e) => e.type.startsWith('action.') && e.type !== 'action.run').map((e) => [e.type, e.data.who])).toEqual([
      ['action.disabled', 'olga'],
      ['action.disabled', 'olga'],
      ['action.enabled', 'ivan'],
    ]);
  });

  it('a rule with enabled: false never runs', async () => {
    const { store, fake, settle } = setup([rule({ enabled: false })]);
    store.commit(alarm('crac1.compressor-fault'));
    await settle();
    expect(fake.calls).toHaveLength(0);
  });
});

describe('steps', () => {
  it('stops at the first failing step and records the rest as skipped', async () => {
    const { store, fake, settle } = setup([rule({ do: [{ webhook: { url: 'http://127.0.0.1:9/a' } }, { write: { point: 'crac2.unit_on', value: true } }] })]);
    fake.outcome.next = new Error('connect ECONNREFUSED http://user:pw@127.0.0.1:9/secret-path');
    store.commit(alarm('crac1.compressor-fault'));
    await settle();
    const [run] = store.runs();
    expect(run!.ok).toBe(false);
    expect(run!.steps[0]).toMatchObject({ kind: 'webhook', ok: false, error: 'connect ECONNREFUSED http://127.0.0.1:9' });
    expect(run!.steps[1]).toMatchObject({ kind: 'write', ok: false, skipped: true });
    expect(fake.calls).toHaveLength(1);
  });
});

describe('never blocking', () => {
  it('the commit listener returns at once while a step hangs; one run at a time per action; a global cap', async () => {
    const { store, fake, engine } = setup(
      [rule({ id: 'x' }), rule({ id: 'y', on: { alarm: '*' } }), rule({ id: 'z', on: { alarm: 'crac*' } })],
      { maxConcurrent: 2 },
    );
    fake.hold();
    const t0 = performance.now();
    store.commit(alarm('crac1.compressor-fault'));
    store.commit(alarm('crac1.compressor-fault'));
    expect(performance.now() - t0).toBeLessThan(50);
    // nothing ran in the listener's turn
    expect(fake.calls).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
    expect(fake.maxInFlight()).toBe(2);
    const x = engine.get('x')!;
    expect(x.running || x.queued > 0).toBe(true);
    fake.release();
    await engine.idle();
    store.commit();
    // x and y twice each (cooldown 0), z once per commit too
    expect(store.runs()).toHaveLength(6);
    expect(fake.maxInFlight()).toBe(2);
  });

  it('a step that never ends is given up after the step deadline', async () => {
    const store = fakeStore();
    const fake = fakeRunners();
    fake.hold();
    engine = createActionEngine({ rules: [rule({})], gatewayId: 'gw1', store, runners: fake.runners, logger: silentLogger, stepDeadlineMs: 30 });
    engine.start();
    store.commit(alarm('crac1.compressor-fault'));
    await new Promise((r) => setImmediate(r));
    await engine.idle();
    store.commit();
    expect(store.runs()[0]!.steps[0]).toMatchObject({ ok: false, error: 'no end within 30 ms; given up' });
    fake.release();
  });
});

describe('schedules', () => {
  it('an `every` rule runs on its interval', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { store, fake, settle } = setup([rule({ on: { every: '5m' }, cooldownS: 0 })]);
    vi.advanceTimersByTime(5 * 60_000);
    await settle();
    vi.advanceTimersByTime(5 * 60_000);
    await settle();
    expect(fake.calls).toHaveLength(2);
    expect(store.runs()[0]!.trigger).toEqual({ type: 'schedule', id: 'a1', transition: 'every' });
  });
});

describe('restart', () => {
  it('reads last runs, cooldown and an operator disable back from the events', async () => {
    const first = setup([rule({ id: 'a1', cooldownS: 600 }), rule({ id: 'b', on: { incident: 'x' } })]);
    first.store.commit(alarm('crac1.compressor-fault'));
    await first.settle();
    first.engine.disable('b', 60, 'olga');
    first.store.commit();
    await first.engine.stop();
    const store = first.store;
    const second = setup([rule({ id: 'a1', cooldownS: 600 }), rule({ id: 'b', on: { incident: 'x' } })], { store, startAt: first.clock.t + 60_000 });
    expect(second.engine.get('a1')!.lastRuns).toHaveLength(1);
    expect(second.engine.get('b')!.disabledBy).toBe('olga');
    store.commit(alarm('crac1.compressor-fault'), incident('x'));
    await second.settle();
    expect(second.fake.calls).toHaveLength(0);
    expect(second.engine.get('a1')!.skipped.cooldown).toBe(1);
    expect(second.engine.get('b')!.skipped.disabled).toBe(1);
  });
});

describe('config', () => {
  it('parses intervals and refuses cron text', () => {
    expect(parseInterval('5m')).toBe(300);
    expect(parseInterval('1.5h')).toBe(5400);
    expect(parseInterval('*/5 * * * *')).toBeUndefined();
    expect(actionRuleSchema.safeParse({ id: 'a', on: { every: '5s' }, do: [{ run: { program: 'x' } }] }).success).toBe(false);
  });

  it('refuses run programs outside the folder and unknown keys', () => {
    for (const program of ['/bin/sh', '../x.sh', 'a/../../x']) {
      expect(actionRuleSchema.safeParse({ id: 'a', on: { alarm: '*' }, do: [{ run: { program } }] }).success).toBe(false);
    }
    expect(actionRuleSchema.safeParse({ id: 'a', on: { alarm: '*' }, do: [{ run: { program: 'x', shell: true } }] }).success).toBe(false);
    expect(actionRuleSchema.safeParse({ id: 'a', on: { alarm: '*' }, do: [{ exec: { program: 'x' } }] }).success).toBe(false);
    expect(actionRuleSchema.safeParse({ id: 'a', on: { alarm: '*' }, do: [{ run: { program: 'x' }, write: { point: 'p', value: 1 } }] }).success).toBe(false);
    expect(actionRuleSchema.safeParse({ id: 'a', on: { alarm: '*', incident: 'b' }, do: [{ run: { program: 'x' } }] }).success).toBe(false);
    expect(actionRuleSchema.safeParse({ id: 'a', on: { every: '1h', transition: 'raised' }, do: [{ run: { program: 'x' } }] }).success).toBe(false);
  });

  it('cross-checks points, duplicate ids and the run folder', () => {
    const rules = [rule({}), rule({ do: [{ write: { point: 'crac1.supply_temp', value: 1 } }, { write: { point: 'nope', value: 1 } }, { run: { program: 'x.sh' } }] })];
    const points = new Map([['crac2.unit_on', { writable: true }], ['crac1.supply_temp', { writable: false }]]);
    expect(checkActions(rules, { points }).map((p) => `${p.path.join('.')}: ${p.message}`)).toEqual([
      'actions.1.id: duplicate id "a1" (also actions[0])',
      'actions.1.do.0.write.point: crac1.supply_temp is not writable (its point has no write block)',
      'actions.1.do.1.write.point: no point "nope"',
      'actions.1.do.2.run: a run step needs actionsRunDir: the folder its programs must be in',
    ]);
    expect(checkActions([rules[0]!], { points })).toEqual([]);
  });
});
