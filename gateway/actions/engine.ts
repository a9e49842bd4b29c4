/**
 * The action engine: follows the store's commits for `alarm.*` and `incident.*` events (and its
 * own interval timers for schedules) and runs the matching actions' steps.
 *
 * Evaluation never waits for an action: the commit listener only matches and queues; runs happen
 * later, one at a time per action and at most `maxConcurrent` across the site. A trigger is
 * admitted or skipped when it arrives: skipped while the action is disabled (in the config or by
 * an operator for some minutes), within `cooldownS` of the previous admitted run, beyond
 * `maxRunsPerHour` in the last hour, or with the action's queue full. Every run is recorded as
 * one `action.run` event; the last runs, cooldowns and operator disables are read back from the
 * events at start, so a restart neither forgets them nor fires an action twice.
 */
import { monotonicOf } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { scrubUrls } from '../../core/redact-url.js';
import type { StoredEvent, Store } from '../store/types.js';
import { ruleMatches, triggerOf } from './match.js';
import { sameActionRule } from './same-rule.js';
import { describeStep, runStep, type StepRunners, stepKind } from './step-runner.js';
import { runFields } from './template.js';
import {
  ACTION_DISABLED_EVENT,
  ACTION_ENABLED_EVENT,
  ACTION_RUN_EVENT,
  type ActionRule,
  type ActionRunRecord,
  type ActionService,
  type ActionStatus,
  type DisableResult,
  MAX_DISABLE_MINUTES,
  type RunTrigger,
  type SkipReason,
  type StepRecord,
} from './types.js';

const HOUR_MS = 3_600_000;
/** how long stop() waits for running steps */
const STOP_GRACE_MS = 5000;
/** runs kept per action for the page */
export const LAST_RUNS = 10;

export interface ActionEngineOptions {
  rules: readonly ActionRule[];
  gatewayId: string;
  store: Pick<Store, 'onCommit' | 'appendEvent' | 'eventsAfter' | 'stats'>;
  runners: StepRunners;
  logger: Logger;
  /** wall clock (events, disabledUntil) */
  now?: () => number;
  /** monotonic clock (cooldown, hourly rate, durations) */
  monoNow?: () => number;
  /** actions running at once across the site (default 4) */
  maxConcurrent?: number;
  /** triggers waiting per action beyond the one running (default 10) */
  maxQueued?: number;
  /** a step that neither ends nor times out by itself is given up after this (default 10 min) */
  stepDeadlineMs?: number;
  /** events read back at start for last runs, cooldowns and disables (default 20 000) */
  historyEvents?: number;
}

/** What a live rule change did, by action id. */
export interface ActionRulesReplaced {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface ActionEngine extends ActionService {
  /** subscribes to commits, reads the history back and starts schedules */
  start(): void;
  /**
   * A live config change. An action kept by id (changed or not) keeps its cooldown, its hourly
   * count, an operator's disable and its last runs, so a reload never lets it fire twice. A run in
   * progress finishes with the definition it started with and is recorded as usual. Triggers
   * queued for a changed or removed action are dropped: they were admitted under the old rule. A
   * changed schedule starts its interval again; an added action reads its history back like at start.
   */
  replaceRules(rules: readonly ActionRule[]): ActionRulesReplaced;
  /** stops taking triggers, waits for running steps, closes connections */
  stop(): Promise<void>;
  /** resolves when nothing is running or queued (tests, shutdown) */
  idle(): Promise<void>;
}

interface ActionState {
  rule: ActionRule;
  queue: RunTrigger[];
  running: boolean;
  /** monotonic start times of admitted runs in the last hour (cooldown: the newest) */
  starts: number[];
  disabledUntil: number | null;
  disabledBy: string | null;
  skipped: Record<SkipReason, number>;
  lastRuns: ActionRunRecord[];
}

export function createActionEngine(options: ActionEngineOptions): ActionEngine {
  const { store, runners, logger, gatewayId } = options;
  const now = options.now ?? Date.now;
  const mono = monotonicOf(options);
  const maxConcurrent = options.maxConcurrent ?? 4;
  const maxQueued = options.maxQueued ?? 10;
  const stepDeadlineMs = options.stepDeadlineMs ?? 600_000;
  const states = new Map<string, ActionState>();
  const newState = (rule: ActionRule): ActionState => ({
    rule,
    queue: [],
    running: false,
    starts: [],
    disabledUntil: null,
    disabledBy: null,
    skipped: { disabled: 0, cooldown: 0, 'rate-limited': 0, 'queue-full': 0 },
    lastRuns: [],
  });
  for (const rule of options.rules) states.set(rule.id, newState(rule));
  /** admitted runs in arrival order, across actions */
  const ready: ActionState[] = [];
  let running = 0;
  let stopped = false;
  let unsubscribe: (() => void) | undefined;
  let started = false;
  /** schedule timers by action id */
  const timers = new Map<string, NodeJS.Timeout>();
  let idleWaiters: (() => void)[] = [];

  function onEvents(events: readonly StoredEvent[]): void {
    for (const event of events) {
      const trigger = triggerOf(event);
      if (!trigger) continue;
      for (const state of states.values()) if (ruleMatches(state.rule.on, trigger)) admit(state, trigger);
    }
  }

  function isDisabled(state: ActionState): boolean {
    if (state.disabledUntil !== null && state.disabledUntil <= now()) {
      state.disabledUntil = null;
      state.disabledBy = null;
    }
    return !state.rule.enabled || state.disabledUntil !== null;
  }

  /** Admits a trigger into the action's queue, or counts why not. Synchronous and cheap. */
  function admit(state: ActionState, trigger: RunTrigger): void {
    if (stopped) return;
    const { rule } = state;
    const t = mono();
    state.starts = state.starts.filter((s) => t - s < HOUR_MS);
    const last = state.starts.at(-1);
    let reason: SkipReason | undefined;
    if (isDisabled(state)) reason = 'disabled';
    else if (last !== undefined && t - last < rule.cooldownS * 1000) reason = 'cooldown';
    else if (state.starts.length >= rule.maxRunsPerHour) reason = 'rate-limited';
    else if (state.queue.length >= maxQueued) reason = 'queue-full';
    if (reason) {
      state.skipped[reason] += 1;
      logger.debug('action trigger skipped', { action: rule.id, reason, trigger: `${trigger.type} ${trigger.id} ${trigger.transition}` });
      return;
    }
    state.starts.push(t);
    state.queue.push(trigger);
    ready.push(state);
    // Never run in the caller's turn: the commit listener returns at once.
    setImmediate(pump);
  }

  function pump(): void {
    for (let i = 0; i < ready.length && running < maxConcurrent; ) {
      const state = ready[i]!;
      if (state.running) {
        i++;
        continue;
      }
      ready.splice(i, 1);
      const trigger = state.queue.shift();
      if (trigger) void execute(state, trigger);
    }
    if (running === 0 && ready.length === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  async function execute(state: ActionState, trigger: RunTrigger): Promise<void> {
    running++;
    state.running = true;
    const { rule } = state;
    const startedAt = now();
    const started = mono();
    const ctx = { actionId: rule.id, trigger, fields: runFields(gatewayId, rule.id, trigger, startedAt) };
    const steps: StepRecord[] = [];
    let failed = false;
    try {
      for (const step of rule.do) {
        const kind = stepKind(step);
        if (failed) {
          steps.push({ kind, ok: false, skipped: true, error: 'not run: an earlier step failed', durationMs: 0 });
          continue;
        }
        if (rule.dryRun) {
          steps.push({ kind, ok: true, result: { wouldDo: describeStep(step) }, durationMs: 0 });
          continue;
        }
        const t0 = mono();
        let deadline: NodeJS.Timeout | undefined;
        try {
          const outcome = await Promise.race([
            runStep(runners, step, ctx),
            new Promise<never>((_, reject) => {
              deadline = setTimeout(() => reject(new Error(`no end within ${stepDeadlineMs} ms; given up`)), stepDeadlineMs);
            }),
          ]);
          steps.push({ kind, ok: outcome.ok, ...(outcome.result !== undefined && { result: outcome.result }), ...(outcome.error !== undefined && { error: scrubUrls(outcome.error) }), durationMs: Math.round(mono() - t0) });
          if (!outcome.ok) failed = true;
        } catch (err) {
          steps.push({ kind, ok: false, error: scrubUrls(errorMessage(err)), durationMs: Math.round(mono() - t0) });
          failed = true;
        } finally {
          clearTimeout(deadline);
        }
      }
      const record: ActionRunRecord = { actionId: rule.id, trigger, steps, dryRun: rule.dryRun, ok: !failed, startedAt, durationMs: Math.round(mono() - started) };
      remember(state, record);
      try {
        store.appendEvent(ACTION_RUN_EVENT, record as unknown as Record<string, unknown>, startedAt);
      } catch (err) {
        logger.error('cannot record an action.run event', { action: rule.id, error: errorMessage(err) });
      }
      const log = failed ? logger.warn : logger.info;
      log.call(logger, rule.dryRun ? 'action dry run' : 'action run', { action: rule.id, trigger: `${trigger.type} ${trigger.id} ${trigger.transition}`, ok: !failed });
    } finally {
      running--;
      state.running = false;
      pump();
    }
  }

  function remember(state: ActionState, record: ActionRunRecord): void {
    state.lastRuns.unshift(record);
    if (state.lastRuns.length > LAST_RUNS) state.lastRuns.length = LAST_RUNS;
  }

  /** Last runs, admitted start times and disables from the stored events (newest window only); `only`: of these actions. */
  function readHistory(only?: ReadonlySet<string>): void {
    const want = options.historyEvents ?? 20_000;
    let after = Math.max(0, store.stats().lastEventSeq - want);
    const wallNow = now();
    const monoNow = mono();
    for (;;) {
      const page = store.eventsAfter(after, 1000);
      if (page.length === 0) break;
      after = page.at(-1)!.seq;
      for (const e of page) {
        const id = typeof e.data.actionId === 'string' ? e.data.actionId : undefined;
        const state = id && (!only || only.has(id)) ? states.get(id) : undefined;
        if (!state) continue;
        if (e.type === ACTION_RUN_EVENT) {
          remember(state, { ...(e.data as unknown as ActionRunRecord), seq: e.seq });
          const startedAt = typeof e.data.startedAt === 'number' ? e.data.startedAt : e.ts;
          if (wallNow - startedAt < HOUR_MS && startedAt <= wallNow) state.starts.push(monoNow - (wallNow - startedAt));
        } else if (e.type === ACTION_DISABLED_EVENT) {
          const until = typeof e.data.until === 'number' ? e.data.until : null;
          state.disabledUntil = until !== null && until > wallNow ? until : null;
          state.disabledBy = state.disabledUntil !== null && typeof e.data.who === 'string' ? e.data.who : null;
        } else if (e.type === ACTION_ENABLED_EVENT) {
          state.disabledUntil = null;
          state.disabledBy = null;
        }
      }
      if (page.length < 1000) break;
    }
    for (const state of states.values()) state.starts.sort((a, b) => a - b);
  }

  function startSchedule(state: ActionState): void {
    const { on } = state.rule;
    if (!('everyS' in on)) return;
    const timer = setInterval(() => admit(state, { type: 'schedule', id: state.rule.id, transition: 'every' }), on.everyS * 1000);
    timer.unref();
    timers.set(state.rule.id, timer);
  }

  function stopSchedule(id: string): void {
    clearInterval(timers.get(id));
    timers.delete(id);
  }

  /** Drops what an action had queued (admitted under a rule that no longer is). */
  function dropQueued(state: ActionState): number {
    const dropped = state.queue.length;
    state.queue.length = 0;
    for (let i = ready.length - 1; i >= 0; i--) if (ready[i] === state) ready.splice(i, 1);
    return dropped;
  }

  function replaceRules(rules: readonly ActionRule[]): ActionRulesReplaced {
    const result: ActionRulesReplaced = { added: [], removed: [], changed: [] };
    const wanted = new Map(rules.map((r) => [r.id, r]));
    let dropped = 0;
    for (const [id, state] of states) {
      if (wanted.has(id)) continue;
      stopSchedule(id);
      dropped += dropQueued(state);
      states.delete(id);
      result.removed.push(id);
    }
    const added = new Set<string>();
    const next = new Map<string, ActionState>();
    for (const rule of rules) {
      const state = states.get(rule.id);
      if (!state) {
        const fresh = newState(rule);
        next.set(rule.id, fresh);
        added.add(rule.id);
        result.added.push(rule.id);
        continue;
      }
      next.set(rule.id, state);
      if (sameActionRule(state.rule, rule)) continue;
      dropped += dropQueued(state);
      // the running execution captured its rule when it began: it finishes with that one
      state.rule = rule;
      result.changed.push(rule.id);
      if (started) {
        stopSchedule(rule.id);
        startSchedule(state);
      }
    }
    // the config's order (the page lists them so)
    states.clear();
    for (const [id, state] of next) states.set(id, state);
    if (started && added.size > 0) {
      readHistory(added);
      for (const id of added) startSchedule(states.get(id)!);
    }
    if (dropped > 0) logger.info('queued action triggers dropped: their action changed or was removed', { dropped });
    logger.info('action rules replaced', { added: result.added.length, removed: result.removed.length, changed: result.changed.length, actions: states.size });
    // nothing left to run: whoever waits for idle hears it now
    setImmediate(pump);
    return result;
  }

  function status(state: ActionState): ActionStatus {
    isDisabled(state);
    const { rule } = state;
    return {
      id: rule.id,
      on: rule.on,
      steps: rule.do.map(describeStep),
      cooldownS: rule.cooldownS,
      dryRun: rule.dryRun,
      enabled: rule.enabled,
      maxRunsPerHour: rule.maxRunsPerHour,
      disabledUntil: state.disabledUntil,
      disabledBy: state.disabledBy,
      running: state.running,
      queued: state.queue.length,
      skipped: { ...state.skipped },
      lastRuns: state.lastRuns.map((r) => ({ ...r })),
    };
  }

  function disable(id: string, minutes: number, who: string): DisableResult {
    const state = states.get(id);
    if (!state) return { ok: false, code: 'not-found', message: `no action "${id}"` };
    if (!Number.isFinite(minutes) || minutes <= 0 || minutes > MAX_DISABLE_MINUTES) {
      return { ok: false, code: 'bad-request', message: `minutes must be more than 0 and at most ${MAX_DISABLE_MINUTES}` };
    }
    const at = now();
    state.disabledUntil = at + Math.round(minutes * 60_000);
    state.disabledBy = who;
    // Queued runs were admitted before the operator said stop: they are dropped, not run later.
    state.skipped.disabled += state.queue.length;
    state.queue.length = 0;
    store.appendEvent(ACTION_DISABLED_EVENT, { actionId: id, who, minutes, until: state.disabledUntil }, at);
    logger.info('action disabled', { action: id, who, minutes });
    return { ok: true, status: status(state) };
  }

  function enable(id: string, who: string): DisableResult {
    const state = states.get(id);
    if (!state) return { ok: false, code: 'not-found', message: `no action "${id}"` };
    state.disabledUntil = null;
    state.disabledBy = null;
    store.appendEvent(ACTION_ENABLED_EVENT, { actionId: id, who }, now());
    logger.info('action enabled', { action: id, who });
    return { ok: true, status: status(state) };
  }

  return {
    start() {
      started = true;
      readHistory();
      unsubscribe = store.onCommit((batch) => onEvents(batch.events));
      for (const state of states.values()) startSchedule(state);
    },
    replaceRules,
    async stop() {
      stopped = true;
      unsubscribe?.();
      for (const id of [...timers.keys()]) stopSchedule(id);
      for (const state of states.values()) state.queue.length = 0;
      ready.length = 0;
      // Running steps get a moment to finish and be recorded; a hung one does not hold shutdown.
      if (running > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([new Promise<void>((r) => idleWaiters.push(r)), new Promise<void>((r) => (timer = setTimeout(r, STOP_GRACE_MS)))]);
        clearTimeout(timer);
      }
      await runners.close?.();
    },
    idle() {
      if (running === 0 && ready.length === 0) return Promise.resolve();
      return new Promise<void>((r) => idleWaiters.push(r));
    },
    list: () => [...states.values()].map(status),
    get: (id) => {
      const state = states.get(id);
      return state ? status(state) : undefined;
    },
    disable,
    enable,
  };
}
