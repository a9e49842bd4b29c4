export { type AlarmDef, deviceOfPoint, expandRule, type NameLookup } from './alarm-def.js';
export { type AlarmEngine, type AlarmEngineOptions, createAlarmEngine } from './engine.js';
export { alarmMetricFamilies } from './metrics.js';
export { type AlarmNotifier, createAlarmNotifier, type NotifierOptions, notifyKind } from './notifier.js';
export type { Notification, Sender } from './notify-senders.js';
export { ALARM_EVENT_PREFIX, recoverAlarms } from './recovery.js';
export { initialMachineState, type MachineConfig, type MachineInput, type MachineState, step } from './state-machine.js';
export type * from './types.js';
export { ALARM_STATES, DEFAULT_ALARM_SETTINGS, LIMIT_LEVELS, NOTIFY_KINDS, SEVERITIES, TRANSITIONS } from './types.js';
