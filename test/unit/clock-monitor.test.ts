/**
 * The clock monitor sees wall-clock steps against the monotonic clock, writes `clock.stepped`
 * { from, to, stepMs } and shows them in health for a while; the sync probe reads timedatectl and
 * never marks samples when the system cannot tell.
 */
import { describe, expect, it } from 'vitest';
import { createClockMonitor, formatSpan } from '../../gateway/clock-monitor.js';
import { createClockSyncProbe, markClockUncertain, parseTimedatectl } from '../../gateway/clock-sync.js';
import { silentLogger } from '../../core/logger.js';
import { createSelfHealth } from '../../core/self-health.js';
import type { Sample } from '../../core/types.js';

const T = Date.UTC(2020, 0, 1);
const DAY = 86_400_000;

function rig() {
  const c = { wall: T, mono: 500 };
  const events: Array<{ type: string; data: Record<string, unknown>; ts?: number }> = [];
  const selfHealth = createSelfHealth(() => c.wall);
  const monitor = createClockMonitor({
    appendEvent: (type, data, ts) => events.push({ type, data, ts }),
    selfHealth,
    logger: silentLogger,
    now: () => c.wall,
    monoNow: () => c.mono,
    showForMs: 60_000,
  });
  const run = (ms: number) => {
    c.wall += ms;
    c.mono += ms;
    return monitor.check();
  };
  return { c, events, selfHealth, monitor, run };
}

describe('clock monitor', () => {
  it('says nothing while both clocks run together, including drift under the threshold', () => {
    const { c, events, selfHealth, monitor, run } = rig();
    for (let i = 0; i < 10; i++) run(1000);
    c.wall += 1500;
    expect(run(1000)).toBeUndefined();
    expect(events).toEqual([]);
    expect(selfHealth.status()).toBe('ok');
    expect(monitor.health()).toEqual({ synchronised: 'unknown', steps: 0, lastStep: null });
  });

  it.each([
    ['forward 2020 → 2026', 6 * 365 * DAY],
    ['back 300 s', -300_000],
  ])('records a step %s as a clock.stepped event and a health condition that clears later', (_name, stepMs) => {
    const { c, events, selfHealth, monitor, run } = rig();
    run(1000);
    c.wall += stepMs;
    const step = run(1000);
    const expected = { from: T + 2000, to: T + 2000 + stepMs, stepMs };
    expect(step).toEqual(expected);
    expect(events).toEqual([{ type: 'clock.stepped', data: expected, ts: T + 2000 + stepMs }]);
    expect(selfHealth.status()).toBe('degraded');
    expect(selfHealth.conditions()[0]).toMatchObject({ id: 'clock', reason: expect.stringContaining(stepMs > 0 ? 'forward 2190 d' : 'back 5 min') });
    expect(monitor.health()).toMatchObject({ steps: 1, lastStep: expected });
    for (let i = 0; i < 59; i++) run(1000);
    expect(selfHealth.status()).toBe('degraded');
    run(1000);
    expect(selfHealth.status()).toBe('ok');
    // the last step stays in the clock section
    expect(monitor.health().lastStep).toEqual(expected);
    expect(events).toHaveLength(1);
  });

  it('formats spans for people', () => {
    expect([formatSpan(5000), formatSpan(300_000), formatSpan(5 * 3_600_000), formatSpan(40 * DAY)]).toEqual(['5 s', '5 min', '5 h', '40 d']);
  });
});

describe('clock synchronised state', () => {
  it.each([
    ['NTP=yes\nNTPSynchronized=no\n', 'unsynced'],
    ['NTP=yes\nNTPSynchronized=yes\n', 'synced'],
    ['NTP=no\nNTPSynchronized=yes\n', 'synced'],
    // no time service enabled: nothing will ever synchronise it, so nothing is marked
    ['NTP=no\nNTPSynchronized=no\n', 'unknown'],
    ['', 'unknown'],
    [undefined, 'unknown'],
  ] as const)('%j reads as %s', (out, state) => {
    expect(parseTimedatectl(out)).toBe(state);
  });

  it('auto asks the system; off never does; a failing query is unknown', async () => {
    let asked = 0;
    const unsynced = async () => {
      asked++;
      return 'NTP=yes\nNTPSynchronized=no\n';
    };
    expect(await createClockSyncProbe('auto', unsynced).refresh()).toBe('unsynced');
    expect(await createClockSyncProbe('off', unsynced).refresh()).toBe('unknown');
    expect(asked).toBe(1);
    expect(
      await createClockSyncProbe('auto', async () => {
        throw new Error('no bus');
      }).refresh(),
    ).toBe('unknown');
  });

  it('marks good samples uncertain (clock) only while unsynchronised; bad ones keep their reason', () => {
    const samples: Sample[] = [
      { pointId: 'a.p', ts: T, value: 1, quality: 'good' },
      { pointId: 'a.q', ts: T, value: null, quality: 'bad', reason: 'timeout' },
    ];
    expect(markClockUncertain(samples, 'unsynced')).toEqual([
      { pointId: 'a.p', ts: T, value: 1, quality: 'uncertain', reason: 'clock' },
      { pointId: 'a.q', ts: T, value: null, quality: 'bad', reason: 'timeout' },
    ]);
    expect(markClockUncertain(samples, 'unknown')).toBe(samples);
    expect(markClockUncertain(samples, 'synced')).toBe(samples);
  });
});
