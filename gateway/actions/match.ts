/**
 * Which committed events start which actions: `alarm.<transition>` and `incident.<transition>`
 * events against each rule's trigger (ids as globs: `*` any run of characters, `?` one).
 */
import { globMatcher, type IdMatcher } from '../../core/id-glob.js';
import type { StoredEvent } from '../store/types.js';
import type { ActionTrigger, RunTrigger } from './types.js';

/** Patterns come from the site file: each is compiled once. */
const matchers = new Map<string, IdMatcher>();
export function globMatches(pattern: string, id: string): boolean {
  let matcher = matchers.get(pattern);
  if (!matcher) {
    matcher = globMatcher(pattern);
    matchers.set(pattern, matcher);
  }
  return matcher(id);
}

/** The trigger an alarm or incident event describes, or undefined for any other event. */
export function triggerOf(event: StoredEvent): RunTrigger | undefined {
  const m = /^(alarm|incident)\.([a-z-]+)$/.exec(event.type);
  if (!m) return undefined;
  const d = event.data;
  const id = typeof d.id === 'string' ? d.id : typeof d.alarmId === 'string' ? d.alarmId : typeof d.incidentId === 'string' ? d.incidentId : undefined;
  if (!id) return undefined;
  return {
    type: m[1] as 'alarm' | 'incident',
    id,
    transition: m[2]!,
    eventSeq: event.seq,
    ...(typeof d.severity === 'string' && { severity: d.severity }),
    ...(typeof d.message === 'string' && { message: d.message }),
  };
}

export function ruleMatches(on: ActionTrigger, t: RunTrigger): boolean {
  if ('alarm' in on) return t.type === 'alarm' && t.transition === on.transition && globMatches(on.alarm, t.id);
  if ('incident' in on) return t.type === 'incident' && t.transition === on.transition && globMatches(on.incident, t.id);
  return false;
}
