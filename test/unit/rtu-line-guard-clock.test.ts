/**
 * The RTU line's quiet gap is elapsed time: a wall clock stepped back right after a lost reply
 * used to make the next request wait out the whole step (the poll deadline aborted it, again and
 * again). vi.setSystemTime moves Date only; performance.now runs on.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRtuLineGuard } from '../../drivers/modbus/rtu-line-guard.js';

describe('RTU line guard across a wall-clock step', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits the settle time after a lost reply, not the step', async () => {
    const stream = new EventEmitter();
    const guard = createRtuLineGuard({ stream, pendingBytes: () => 0, discardPending: () => {} });
    stream.emit('data', Buffer.from([1]));
    guard.replyLost(500);
    vi.setSystemTime(Date.now() - 300_000);
    let ready = false;
    void guard.beforeRequest(new AbortController().signal).then(() => {
      ready = true;
    });
    await vi.advanceTimersByTimeAsync(499);
    expect(ready).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(ready).toBe(true);
  });
});
