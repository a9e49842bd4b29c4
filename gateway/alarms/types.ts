/**
 * Alarm shapes shared by the config loader (rules), the engine, the notifier and the web API. Types
 * only: config/ and dashboard/ import this file and nothing else from gateway/alarms/.
 */
import type { PointValue } from '../../core/types.js';

export const SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Limit levels, most severe first (ISA-18.2 HIHI/HI/LO/LOLO). */
export const LIMIT_LEVELS = ['hihi', 'hi', 'lo', 'lolo'] as const;
export type LimitLevel = (typeof LIMIT_LEVELS)[number];

/**
 * ISA-18.2 alarm states. `latched`: a latching alarm whose condition returned to normal, held
 * until an operator acknowledges (resets) it.
 */
export const ALARM_STATES = ['normal', 'unack', 'acked', 'rtn-unack', 'latched', 'shelved', 'out-of-service'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

/** States that need an operator's attention (what `?state=active` lists, with shelved and out of service). */
export const ANNUNCIATED_STATES: readonly AlarmState[] = ['unack', 'acked', 'rtn-unack', 'latched'];

/** Each transition is stored as an event of type `alarm.<transition>`. */
export const TRANSITIONS = [
  'raised',
  'returned',
  'acked',
  'reset',
  'shelved',
  'unshelved',
  'out-of-service',
  'in-service',
  'chattering',
  'settled',
  'removed',
] as const;
export type Transition = (typeof TRANSITIONS)[number];

export type AlarmType = 'limit' | 'discrete' | 'rate' | 'stale' | 'comm-loss' | 'system' | 'analytics';

/** What makes a discrete alarm active; `value` compares strictly (true/false for bits, the label for enums). */
export type DiscreteMatch =
  | { op: 'equals'; value: PointValue }
  | { op: 'not-equals'; value: PointValue }
  | { op: 'bit-set'; bit: number }
  | { op: 'in'; values: PointValue[] };

export interface LimitSpec {
  limit: number;
  severity: Severity;
}

interface RuleCommon {
  /** site rules: as written; profile rules: `<deviceId>.<ruleId>` */
  id: string;
  /** default severity (limit rules: of hi/lo; hihi/lolo default to critical) */
  severity: Severity;
  /** template: {value} {unit} {name} (the point's) {deviceName} {point} {device} {limit} {level} {severity} {id} */
  message?: string;
  /** the condition must hold this long before the alarm raises */
  onDelayS: number;
  /** the condition must be gone this long before the alarm returns */
  offDelayS: number;
  /** a latching alarm stays in alarm (state `latched`) after its condition returns, until acknowledged */
  latch: boolean;
}

export interface LimitRule extends RuleCommon {
  type: 'limit';
  /** `<deviceId>.<key>` */
  point: string;
  levels: Partial<Record<LimitLevel, LimitSpec>>;
  /** return to normal needs the value back past limit ∓ deadband */
  deadband: number;
}

export interface DiscreteRule extends RuleCommon {
  type: 'discrete';
  point: string;
  match: DiscreteMatch;
}

export interface RateRule extends RuleCommon {
  type: 'rate';
  point: string;
  /** units per minute, compared with the change between now and one window ago */
  perMinute: number;
  windowS: number;
  direction: 'rise' | 'fall' | 'both';
}

export interface StaleRule extends RuleCommon {
  type: 'stale';
  point: string;
  /** active when the point has had no good sample for this long */
  staleS: number;
}

export interface CommLossRule extends RuleCommon {
  type: 'comm-loss';
  device: string;
  /** active when the device's comm state has been `down` this long */
  commLossS: number;
}

/**
 * A gateway self-alarm (`system.storage`, ...): active while the gateway's own condition of that id
 * is raised in its self-health (gateway/self-health.ts). Built in (system-alarms.ts), not configured.
 */
export interface SystemRule extends RuleCommon {
  type: 'system';
  /** the self-health condition id it follows (`storage`) */
  condition: string;
}

/**
 * An analytics finding on a point (gateway/analytics: anomaly.band, anomaly.drift, forecast.limit,
 * ...): active while the analytics service reports the finding for this alarm id, checked on the
 * engine's tick. Made from the site's `analytics:` section, not written as an alarm rule.
 */
export interface AnalyticsRule extends RuleCommon {
  type: 'analytics';
  point: string;
  /** the finding it follows, e.g. `anomaly.band` */
  check: string;
}

/** A rule after config load: point ids resolved, every default applied. */
export type AlarmRule = LimitRule | DiscreteRule | RateRule | StaleRule | CommLossRule | SystemRule | AnalyticsRule;

export type NotifyKind = 'raised' | 'returned' | 'acked' | 'shelved' | 'other';
export const NOTIFY_KINDS: readonly NotifyKind[] = ['raised', 'returned', 'acked', 'shelved', 'other'];

/** A password or token from the config (config/secret.ts): never printed, revealed where it is used. */
export interface SecretValue {
  reveal(): string;
}

export interface WebhookTarget {
  type: 'webhook';
  url: string;
  /** extra request headers (e.g. Authorization); never logged */
  headers: Record<string, SecretValue>;
  severities: Severity[];
  kinds: NotifyKind[];
  timeoutMs: number;
  /** attempts after the first, with backoff */
  retries: number;
}

export interface MqttTarget {
  type: 'mqtt';
  url: string;
  username?: string;
  password?: SecretValue;
  /** may use {gatewayId}, {alarmId}, {severity}, {transition} */
  topic: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  severities: Severity[];
  kinds: NotifyKind[];
  timeoutMs: number;
  retries: number;
}

export type NotifyTarget = WebhookTarget | MqttTarget;

export interface AlarmSettings {
  /** more raises than this in a minute flags an alarm as chattering (its notifications stop) */
  chatterPerMinute: number;
  /** more raises than this across the site in 10 minutes is a flood (ISA-18.2 uses 10) */
  floodPer10Min: number;
  /** longest shelve an operator may ask for */
  maxShelveMinutes: number;
  notify: NotifyTarget[];
}

export const DEFAULT_ALARM_SETTINGS: AlarmSettings = {
  chatterPerMinute: 5,
  floodPer10Min: 10,
  maxShelveMinutes: 24 * 60,
  notify: [],
};

/** One alarm (a rule on one point or device, one limit level) as the API and the events show it. */
export interface AlarmRecord {
  /** rule id, plus `.<level>` for a limit level */
  id: string;
  rule: string;
  type: AlarmType;
  level: LimitLevel | null;
  point: string | null;
  device: string | null;
  severity: Severity;
  state: AlarmState;
  /** the (debounced) condition */
  active: boolean;
  /** value when the alarm last changed state */
  value: PointValue;
  unit: string | null;
  message: string;
  raisedAt: number | null;
  returnedAt: number | null;
  ackedAt: number | null;
  ackedBy: string | null;
  ackComment: string | null;
  shelvedAt: number | null;
  shelvedBy: string | null;
  shelvedUntil: number | null;
  shelveComment: string | null;
  chattering: boolean;
  /** last transition time */
  changedAt: number | null;
}

/** The data of an `alarm.<transition>` event: the record after the transition, and who did it. */
export interface AlarmEventData extends AlarmRecord {
  alarmId: string;
  transition: Transition;
  from: AlarmState;
  who: string | null;
  comment: string | null;
}

/** Who did an operator action. Until logins exist this is what the client says. */
export interface Actor {
  who: string;
  comment: string | null;
}

export type ActionResult =
  | { ok: true; alarm: AlarmRecord }
  | { ok: false; code: 'not-found' | 'conflict' | 'bad-request'; message: string };

export interface NotifyTargetHealth {
  target: string;
  type: NotifyTarget['type'];
  sent: number;
  failed: number;
  /** attempts that failed and were retried */
  retried: number;
  queued: number;
  /** notifications dropped because the queue was full */
  dropped: number;
  suppressed: number;
  lastError: string | null;
  lastErrorAt: number | null;
  lastSentAt: number | null;
}

export interface AlarmHealth {
  rules: number;
  alarms: number;
  active: number;
  unacked: number;
  shelved: number;
  outOfService: number;
  chattering: number;
  /** raises across the site in the last minute / 10 minutes */
  raisesLastMinute: number;
  raisesLast10Min: number;
  flood: boolean;
  notifications: NotifyTargetHealth[];
}

export type AlarmFilter = 'active' | 'all' | AlarmState;

/** What the web API uses. */
export interface AlarmService {
  list(filter: AlarmFilter): AlarmRecord[];
  get(id: string): AlarmRecord | undefined;
  ack(id: string, actor: Actor): ActionResult;
  shelve(id: string, minutes: number, actor: Actor): ActionResult;
  unshelve(id: string, actor: Actor): ActionResult;
  setInService(id: string, inService: boolean, actor: Actor): ActionResult;
  health(): AlarmHealth;
}
