/**
 * The gateway's own alarms. Each follows one self-health condition (gateway/self-health.ts): it
 * raises while the condition is raised and returns once it is cleared, on the engine's tick. They
 * are built in, not configured: a site must hear that its gateway cannot store data even if
 * nobody wrote a rule for it. Their events are stored and synced like every other alarm event.
 *
 * `system.storage` follows `storage`, which the store raises while commits fail (disk full,
 * locked database). Its events can only be committed once the disk takes writes again, so while
 * the disk is full the alarm is annunciated from memory (alarm console, API, health): the raise is
 * queued in the store and committed, with its true time, as the first thing once space is back,
 * followed by the return.
 */
import type { SystemRule } from './types.js';

export const SYSTEM_ALARMS: readonly SystemRule[] = [
  {
    id: 'system.storage',
    type: 'system',
    condition: 'storage',
    severity: 'critical',
    message: 'Gateway storage failing: {value}',
    onDelayS: 0,
    offDelayS: 0,
    latch: false,
  },
];
