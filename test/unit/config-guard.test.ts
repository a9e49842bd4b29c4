/** The watch after a live apply (app/config-guard.ts), on fake time. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createConfigGuard } from '../../app/config-guard.js';
import type { CommState } from '../../core/device-status.js';
import { silentLogger } from '../../core/logger.js';

describe('config guard', () => {
  let states: Map<string, CommState>;
  let configured: Set<string>;
  let rollbacks: Array<[number, string]>;
  /** push targets by id: failing now or not (absent: not configured) */
  let targets: Map<string, boolean>;
  const guard = () =>
    createConfigGuard({
      deviceState: (id) => states.get(id),
      configured: (id) => configured.has(id),
      targetFailing: (id) => targets.get(id),
      rollback: async (to, reason) => {
        rollbacks.push([to, reason]);
      },
      logger: silentLogger,
      checkEveryMs: 500,
    });

  beforeEach(() => {
    vi.useFakeTimers();
    states = new Map([
      ['ups1', 'up'],
      ['ups2', 'up'],
      ['pdu1', 'down'],
    ]);
    configured = new Set(['ups1', 'ups2', 'pdu1']);
    rollbacks = [];
    targets = new Map([
      ['ems', false],
      ['nats', false],
    ]);
  });
  afterEach(() => vi.useRealTimers());

  it('restores the previous version once when a device that was up goes down', () => {
    const g = guard();
    g.watch({ upBefore: ['ups1', 'ups2'], applied: 4, previous: 3, guardMs: 60_000 });
    vi.advanceTimersByTime(5_000);
    expect(rollbacks).toEqual([]);
    states.set('ups2', 'down');
    vi.advanceTimersByTime(500);
    expect(rollbacks).toEqual([[3, 'device ups2 went down within the guard time after version 4']]);
    expect(g.active()).toBeUndefined();
    vi.advanceTimersByTime(10_000);
    expect(rollbacks).toHaveLength(1);
  });

  it('names every device that went down', () => {
    const g = guard();
    g.watch({ upBefore: ['ups1', 'ups2'], applied: 2, previous: 1, guardMs: 60_000 });
    states.set('ups1', 'down');
    states.set('ups2', 'down');
    vi.advanceTimersByTime(500);
    expect(rollbacks).toEqual([[1, 'devices ups1, ups2 went down within the guard time after version 2']]);
  });

  it.each<[string, () => void]>([
    ['a device that was already down before', () => states.set('pdu1', 'down')],
    ['a device the change removed', () => {
      configured.delete('ups1');
      states.set('ups1', 'down');
    }],
    ['a device that is only degraded', () => states.set('ups1', 'degraded')],
  ])('ignores %s', (_name, change) => {
    const g = guard();
    g.watch({ upBefore: ['ups1', 'ups2'], applied: 2, previous: 1, guardMs: 60_000 });
    change();
    vi.advanceTimersByTime(5_000);
    expect(rollbacks).toEqual([]);
    expect(g.active()).toMatchObject({ applied: 2, previous: 1 });
  });

  it('stops watching after the guard time', () => {
    const g = guard();
    g.watch({ upBefore: ['ups1'], applied: 2, previous: 1, guardMs: 10_000 });
    vi.advanceTimersByTime(10_500);
    expect(g.active()).toBeUndefined();
    states.set('ups1', 'down');
    vi.advanceTimersByTime(5_000);
    expect(rollbacks).toEqual([]);
  });

  it('a newer apply replaces the watch of the one before', () => {
    const g = guard();
    g.watch({ upBefore: ['ups1'], applied: 2, previous: 1, guardMs: 60_000 });
    g.watch({ upBefore: ['ups2'], applied: 3, previous: 2, guardMs: 60_000 });
    states.set('ups2', 'down');
    vi.advanceTimersByTime(500);
    expect(rollbacks).toEqual([[2, 'device ups2 went down within the guard time after version 3']]);
  });

  it('restores the previous version when a push target that was reachable starts failing, naming it', () => {
    const g = guard();
    g.watch({ upBefore: ['ups1'], reachableBefore: ['ems'], applied: 5, previous: 4, guardMs: 60_000 });
    // a target that was not reachable before (nats) failing says nothing about this change
    targets.set('nats', true);
    vi.advanceTimersByTime(2_000);
    expect(rollbacks).toEqual([]);
    targets.set('ems', true);
    states.set('ups1', 'down');
    vi.advanceTimersByTime(500);
    expect(rollbacks).toEqual([[4, 'device ups1 went down and sync target ems could no longer be reached within the guard time after version 5']]);
  });

  it('ignores a reachable target the change removed', () => {
    const g = guard();
    g.watch({ upBefore: [], reachableBefore: ['ems'], applied: 5, previous: 4, guardMs: 60_000 });
    targets.delete('ems');
    vi.advanceTimersByTime(5_000);
    expect(rollbacks).toEqual([]);
  });
});
