/**
 * Automated actions (issue 15): rules that run steps (a write through the control service, a
 * webhook, an MQTT publish, a local program) when an alarm or incident changes state, or on a
 * schedule. Every run is stored as an `action.run` event; the page and API read them back.
 */
import type { SecretValue } from '../alarms/types.js';

export const ACTION_TRANSITIONS = ['raised', 'returned', 'acked'] as const;
export type ActionTransition = (typeof ACTION_TRANSITIONS)[number];

/** An alarm or incident transition (id may be a glob: `*` any run of characters), or a fixed interval. */
export type ActionTrigger =
  | { alarm: string; transition: ActionTransition }
  | { incident: string; transition: ActionTransition }
  /** simple interval only (no cron expressions), in seconds */
  | { everyS: number };

export interface WriteStep {
  write: { point: string; value: boolean | number | string; comment?: string };
}
export interface WebhookStep {
  webhook: { url: string; method: 'POST' | 'PUT' | 'PATCH'; headers: Record<string, SecretValue>; body?: unknown; timeoutMs: number };
}
export interface MqttStep {
  mqtt: {
    url: string;
    /** may use the template fields ({actionId}, {triggerId}, ...) */
    topic: string;
    payload?: unknown;
    username?: string;
    password?: SecretValue;
    qos: 0 | 1 | 2;
    retain: boolean;
    timeoutMs: number;
  };
}
export interface RunStep {
  /** program: relative to the allow-listed `actionsRunDir`; args: argv, never through a shell */
  run: { program: string; args: string[]; timeoutMs: number };
}
export type ActionStep = WriteStep | WebhookStep | MqttStep | RunStep;
export const STEP_KINDS = ['write', 'webhook', 'mqtt', 'run'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface ActionRule {
  id: string;
  on: ActionTrigger;
  do: ActionStep[];
  /** after a run starts, triggers within this many seconds are skipped */
  cooldownS: number;
  /** record what would be done, without doing it */
  dryRun: boolean;
  enabled: boolean;
  /** runs started in any sliding hour; triggers beyond are skipped */
  maxRunsPerHour: number;
}

/** The site's actions: the rules and the one folder `run` steps may start programs from (absolute). */
export interface ActionsSection {
  rules: ActionRule[];
  runDir?: string;
}

/** What started a run. */
export interface RunTrigger {
  type: 'alarm' | 'incident' | 'schedule';
  /** the alarm or incident id; the action id for a schedule */
  id: string;
  /** raised, returned, acked; `every` for a schedule */
  transition: string;
  severity?: string;
  message?: string;
  /** the triggering event's seq (absent for a schedule) */
  eventSeq?: number;
}

export interface StepRecord {
  kind: StepKind;
  ok: boolean;
  result?: unknown;
  error?: string;
  /** not run because an earlier step failed */
  skipped?: boolean;
  durationMs: number;
}

/** The data of an `action.run` event. */
export interface ActionRunRecord {
  actionId: string;
  trigger: RunTrigger;
  steps: StepRecord[];
  dryRun: boolean;
  ok: boolean;
  startedAt: number;
  durationMs: number;
  /** the event's seq and ts when read back from the store */
  seq?: number;
}

export interface ActionStatus {
  id: string;
  on: ActionTrigger;
  /** one line per step, URLs reduced to scheme://host:port */
  steps: string[];
  cooldownS: number;
  dryRun: boolean;
  enabled: boolean;
  maxRunsPerHour: number;
  /** ms epoch until which an operator disabled it; null when not */
  disabledUntil: number | null;
  disabledBy: string | null;
  running: boolean;
  queued: number;
  /** triggers not run, by reason, since start */
  skipped: Record<SkipReason, number>;
  /** newest first */
  lastRuns: ActionRunRecord[];
}

export type SkipReason = 'disabled' | 'cooldown' | 'rate-limited' | 'queue-full';

export type DisableResult = { ok: true; status: ActionStatus } | { ok: false; code: 'not-found' | 'bad-request'; message: string };

export interface ActionService {
  list(): ActionStatus[];
  get(id: string): ActionStatus | undefined;
  /** an operator pauses an action for `minutes` (recorded as an `action.disabled` event) */
  disable(id: string, minutes: number, who: string): DisableResult;
  enable(id: string, who: string): DisableResult;
}

export const ACTION_RUN_EVENT = 'action.run';
export const ACTION_DISABLED_EVENT = 'action.disabled';
export const ACTION_ENABLED_EVENT = 'action.enabled';
/** longest an operator may disable an action for (a week) */
export const MAX_DISABLE_MINUTES = 7 * 24 * 60;
