import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRepeatLimiter } from '../../core/log-rate-limit.js';
import { createLogger } from '../../core/logger.js';
import { createRateLimitedLog } from '../../drivers/mqtt/rate-limited-log.js';

interface Line {
  level: string;
  msg: string;
  suppressed?: number;
  [k: string]: unknown;
}

/** A fake monotonic clock that the fake timers move too. */
function fakeClock() {
  let t = 1_000;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
      vi.advanceTimersByTime(ms);
    },
  };
}

describe('logger: repeated lines are held back with a count', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(repeat?: { windowMs: number; burst: number }) {
    const clock = fakeClock();
    const lines: Line[] = [];
    const logger = createLogger({ write: (l) => lines.push(JSON.parse(l)), now: clock.now, ...(repeat && { repeat }) });
    return { clock, lines, logger };
  }

  it('writes the first 5 of a flood, then one summary line with the count when the minute ends', () => {
    const { clock, lines, logger } = setup();
    // ~100 lines a second for a minute, as a full disk did
    for (let i = 0; i < 6000; i++) {
      logger.error('queue full while commits fail', { dropped: i });
      if (i % 100 === 99) clock.advance(990);
    }
    expect(lines.filter((l) => l.msg === 'queue full while commits fail')).toHaveLength(5);
    clock.advance(1_000);
    const summary = lines.at(-1)!;
    expect(summary.level).toBe('error');
    expect(summary.msg).toBe('queue full while commits fail (... 5995 more in the last minute)');
    expect(summary.suppressed).toBe(5995);
    expect(summary.dropped).toBe(5999);
    expect(lines).toHaveLength(6);
  });

  it('starts a new window after a quiet minute and writes again', () => {
    const { clock, lines, logger } = setup({ windowMs: 10_000, burst: 1 });
    logger.warn('x');
    logger.warn('x');
    clock.advance(10_000);
    expect(lines.map((l) => l.msg)).toEqual(['x', 'x (... 1 more in the last 10 s)']);
    logger.warn('x');
    expect(lines).toHaveLength(3);
    clock.advance(60_000);
    // nothing held back in that window: no summary line
    expect(lines).toHaveLength(3);
  });

  it('keys by level, message and the child logger: distinct sources are never merged', () => {
    const { lines, logger } = setup({ windowMs: 60_000, burst: 1 });
    const a = logger.child({ device: 'a' });
    const b = logger.child({ device: 'b' });
    a.warn('poll failed');
    a.warn('poll failed');
    b.warn('poll failed');
    a.error('poll failed');
    logger.warn('other');
    expect(lines.map((l) => `${l.level}:${l.msg}:${l.device ?? ''}`)).toEqual([
      'warn:poll failed:a',
      'warn:poll failed:b',
      'error:poll failed:a',
      'warn:other:',
    ]);
  });

  it('lines about different alarms, devices or targets are not repeats of each other', () => {
    const { lines, logger } = setup({ windowMs: 60_000, burst: 1 });
    for (const alarm of ['a', 'b', 'c']) logger.warn('alarm raised', { alarm, message: 'x' });
    logger.warn('alarm raised', { alarm: 'a', message: 'again' });
    logger.warn('queue full', { dropped: 1 });
    logger.warn('queue full', { dropped: 2 });
    expect(lines.map((l) => `${l.msg}:${l.alarm ?? l.dropped}`)).toEqual(['alarm raised:a', 'alarm raised:b', 'alarm raised:c', 'queue full:1']);
  });

  it('children share the parent budget (a child per call cannot bypass it)', () => {
    const { lines, logger } = setup({ windowMs: 60_000, burst: 2 });
    for (let i = 0; i < 10; i++) logger.child({ component: 'store' }).error('commit failed');
    expect(lines).toHaveLength(2);
  });

  it('repeat: false writes every line', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => lines.push(l), repeat: false });
    for (let i = 0; i < 50; i++) logger.info('same');
    expect(lines).toHaveLength(50);
  });

  it('a wall-clock step does not open or close a window (time is the injected monotonic clock)', () => {
    const { clock, lines, logger } = setup({ windowMs: 60_000, burst: 1 });
    logger.warn('x');
    vi.setSystemTime(Date.now() + 86_400_000);
    logger.warn('x');
    expect(lines).toHaveLength(1);
    clock.advance(60_000);
    expect(lines.at(-1)!.suppressed).toBe(1);
  });

  it('a flood of distinct keys beyond maxKeys shares one budget', () => {
    const clock = fakeClock();
    const out: string[] = [];
    const limiter = createRepeatLimiter({ windowMs: 1000, burst: 1, maxKeys: 3, now: clock.now, summary: (k, n) => out.push(`${k}:${n}`) });
    const admitted = Array.from({ length: 10 }, (_, i) => limiter.admit(`k${i}`)).filter(Boolean);
    // k0..k2 tracked, the fourth opens the shared key, the other six are counted there
    expect(admitted).toHaveLength(4);
    clock.advance(1000);
    expect(out).toEqual(['*:6']);
  });
});

describe('mqtt rate-limited log (same limiter, keyed by the caller)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('one line per key per interval, then the count of the held-back ones', () => {
    const clock = fakeClock();
    const lines: Line[] = [];
    const logger = createLogger({ write: (l) => lines.push(JSON.parse(l)), now: clock.now });
    const warn = createRateLimitedLog(logger, 60_000, clock.now);
    for (let i = 0; i < 20; i++) warn('topic:a', 'mqtt message on a topic no point listens to', { topic: 'a' });
    warn('topic:b', 'mqtt message on a topic no point listens to', { topic: 'b' });
    expect(lines.map((l) => l.topic)).toEqual(['a', 'b']);
    clock.advance(60_000);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ topic: 'a', suppressed: 19 });
  });
});
