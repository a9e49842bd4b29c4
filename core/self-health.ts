/**
 * The gateway's own conditions (storage failing, the wall clock stepped, ...). Any service may
 * raise one; health reports `degraded` with every raised reason until each is cleared. Created once
 * in the wiring file and passed to the services that report.
 */
export interface HealthCondition {
  /** stable id, one per kind of fault: `storage`, `clock`, ... */
  id: string;
  /** one line a person can act on, with no secret in it */
  reason: string;
  /** ms epoch (wall clock, for display) when it was raised */
  since: number;
}

export interface SelfHealth {
  /** Raises (or updates the reason of) a condition; `since` is kept from the first raise. */
  raise(id: string, reason: string): void;
  clear(id: string): void;
  conditions(): HealthCondition[];
  status(): 'ok' | 'degraded';
}

export function createSelfHealth(now: () => number = Date.now): SelfHealth {
  const raised = new Map<string, HealthCondition>();
  return {
    raise(id, reason) {
      const old = raised.get(id);
      raised.set(id, { id, reason, since: old?.since ?? now() });
    },
    clear(id) {
      raised.delete(id);
    },
    conditions: () => [...raised.values()],
    status: () => (raised.size > 0 ? 'degraded' : 'ok'),
  };
}
