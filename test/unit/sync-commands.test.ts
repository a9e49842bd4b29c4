/**
 * EMS commands without a broker: the command-id log (kept across reopen, pruned to the newest N,
 * the pending mark) and the handler's fault paths a broker test cannot reach on demand: a command
 * interrupted by a stop, a log that cannot write, a queue that is full, envelope checks.
 * The control service here only counts calls (and can be held, like a slow device).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { ControlService, WriteRequest, WriteResult } from '../../gateway/control/types.js';
import { openCommandLog } from '../../sync/command-log.js';
import { type CommandAnswer, createCommandHandler, MAX_QUEUED_COMMANDS, parseCommand } from '../../sync/commands.js';
import { createTempStores } from '../helpers/temp-store.js';

const temp = createTempStores('sync-command-log-');
afterAll(() => temp.cleanup());

function countingControl(hold?: Promise<void>) {
  const requests: WriteRequest[] = [];
  const control: ControlService = {
    async write(request) {
      requests.push(request);
      await hold;
      const result: WriteResult = { result: 'verified', pointId: request.pointId, requested: request.value, oldValue: 1, readBack: request.value as number, durationMs: 3 };
      return result;
    },
    stats: () => ({ verified: requests.length, written: 0, refused: 0, failed: 0 }),
    replaceDevices: () => undefined,
  };
  return { control, requests };
}

const json = (body: unknown) => Buffer.from(JSON.stringify(body));

describe('command log', () => {
  it('keeps answers across a reopen and forgets the oldest beyond the limit, per target', () => {
    const file = temp.file('sync-commands.db');
    const log = openCommandLog(file, 3);
    for (let i = 1; i <= 5; i++) log.answer('a', `c${i}`, `{"id":"c${i}"}`, i);
    log.answer('b', 'c1', '{"id":"b1"}', 9);
    log.begin('a', 'p1', 10);
    log.close();

    const again = openCommandLog(file, 3);
    expect(again.find('a', 'c1')).toBeUndefined();
    expect(again.find('a', 'c2')).toBeUndefined();
    expect(again.find('a', 'c5')).toEqual({ state: 'answered', answer: '{"id":"c5"}' });
    expect(again.find('b', 'c1')).toEqual({ state: 'answered', answer: '{"id":"b1"}' });
    expect(again.find('a', 'p1')).toEqual({ state: 'pending' });
    again.close();
  });
});

describe('command handler', () => {
  it('answers a command found pending (the gateway stopped mid-write) as interrupted, without writing', async () => {
    const log = openCommandLog(temp.file('sync-commands.db'));
    log.begin('ems', 'half-done', 1);
    const { control, requests } = countingControl();
    const answers: CommandAnswer[] = [];
    const handler = createCommandHandler({ target: 'ems', control, log, publish: (a) => answers.push(a), logger: silentLogger });
    handler.receive(json({ id: 'half-done', point: 'crac1.setpoint', value: 24 }));
    handler.receive(json({ id: 'half-done', point: 'crac1.setpoint', value: 24 }));
    await handler.idle();
    expect(requests).toEqual([]);
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatchObject({ id: 'half-done', result: 'failed', reason: 'interrupted' });
    expect(answers[1]).toEqual(answers[0]);
    log.close();
  });

  it('does not execute when the log cannot record the command', async () => {
    const log = openCommandLog(temp.file('sync-commands.db'));
    log.close(); // a failing disk, as the handler sees it: every statement throws
    const { control, requests } = countingControl();
    const answers: CommandAnswer[] = [];
    const handler = createCommandHandler({ target: 'ems', control, log, publish: (a) => answers.push(a), logger: silentLogger });
    handler.receive(json({ id: 'c1', point: 'crac1.setpoint', value: 24 }));
    await handler.idle();
    expect(requests).toEqual([]);
    expect(answers).toEqual([expect.objectContaining({ id: 'c1', result: 'refused', reason: 'unavailable' })]);
  });

  it('runs one command at a time, answers `busy` beyond the queue, and sends the EMS actor and command id', async () => {
    const log = openCommandLog(temp.file('sync-commands.db'));
    let release!: () => void;
    const { control, requests } = countingControl(new Promise<void>((r) => (release = r)));
    const answers: CommandAnswer[] = [];
    const handler = createCommandHandler({ target: 'ems-mqtt', control, log, publish: (a) => answers.push(a), logger: silentLogger });
    // the first runs (held), MAX_QUEUED wait, the next is refused
    for (let i = 0; i <= MAX_QUEUED_COMMANDS + 1; i++) handler.receive(json({ id: `c${i}`, point: 'crac1.setpoint', value: i, comment: 'n' }));
    await new Promise((r) => setTimeout(r, 10));
    expect(requests).toHaveLength(1);
    expect(answers).toEqual([expect.objectContaining({ id: `c${MAX_QUEUED_COMMANDS + 1}`, reason: 'busy' })]);
    release();
    await handler.idle();
    expect(requests).toHaveLength(MAX_QUEUED_COMMANDS + 1);
    expect(requests[0]).toEqual({ pointId: 'crac1.setpoint', value: 0, comment: 'n', actor: { kind: 'ems', name: 'ems-mqtt', role: 'ems' }, commandId: 'c0' });
    expect(answers.slice(1).map((a) => a.id)).toEqual(Array.from({ length: MAX_QUEUED_COMMANDS + 1 }, (_, i) => `c${i}`));
    expect(handler.stats()).toMatchObject({ received: MAX_QUEUED_COMMANDS + 2, executed: MAX_QUEUED_COMMANDS + 1, busy: 1 });
    // busy was not remembered: the same id runs once sent again
    handler.receive(json({ id: `c${MAX_QUEUED_COMMANDS + 1}`, point: 'crac1.setpoint', value: 1 }));
    await handler.idle();
    expect(requests).toHaveLength(MAX_QUEUED_COMMANDS + 2);
    await handler.close();
    handler.receive(json({ id: 'late', point: 'crac1.setpoint', value: 1 }));
    expect(handler.stats().received).toBe(MAX_QUEUED_COMMANDS + 3);
    log.close();
  });
});

describe('parseCommand', () => {
  it.each([
    ['a number', { id: 'a', point: 'crac1.setpoint', value: 21.5 }],
    ['a boolean', { id: 'a', point: 'crac1.run', value: true }],
    ['an enum label with a comment', { id: 'a', point: 'crac1.mode', value: 'cool', comment: 'x'.repeat(500) }],
    ['a table row point', { id: 'x'.repeat(128), point: 'ups1.battery_temp.1', value: 0, extra: 'ignored' }],
  ])('takes %s', (_what, body) => {
    const parsed = parseCommand(json(body));
    expect(parsed.ok).toBe(true);
  });

  it.each([
    ['not JSON', Buffer.from('{'), undefined],
    ['an array', json([1]), undefined],
    ['null', json(null), undefined],
    ['no id', json({ point: 'p.q', value: 1 }), undefined],
    ['an empty id', json({ id: '', point: 'p.q', value: 1 }), undefined],
    ['a numeric id', json({ id: 7, point: 'p.q', value: 1 }), undefined],
    ['an id of 129 characters', json({ id: 'x'.repeat(129), point: 'p.q', value: 1 }), undefined],
    ['over 4 KiB', json({ id: 'a', point: 'p.q', value: 1, pad: 'x'.repeat(4096) }), undefined],
    ['no value', json({ id: 'a', point: 'p.q' }), 'a'],
    ['a null value', json({ id: 'a', point: 'p.q', value: null }), 'a'],
    ['an object value', json({ id: 'a', point: 'p.q', value: { v: 1 } }), 'a'],
    ['no point', json({ id: 'a', value: 1 }), 'a'],
    ['a point with a space', json({ id: 'a', point: 'p q', value: 1 }), 'a'],
    ['a comment of 501 characters', json({ id: 'a', point: 'p.q', value: 1, comment: 'x'.repeat(501) }), 'a'],
    ['a numeric comment', json({ id: 'a', point: 'p.q', value: 1, comment: 5 }), 'a'],
  ])('refuses %s', (_what, payload, id) => {
    const parsed = parseCommand(payload);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.id).toBe(id);
  });
});
