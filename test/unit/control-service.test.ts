import { describe, expect, it } from 'vitest';
import type { CommState } from '../../core/device-status.js';
import type { LoadedDevice } from '../../core/device.js';
import type { Driver, Writable } from '../../core/driver.js';
import { DriverError } from '../../core/errors.js';
import { createLinkLock } from '../../core/link-lock.js';
import { silentLogger } from '../../core/logger.js';
import type { PointValue, Quality, Sample } from '../../core/types.js';
import { type WriteSpec, writeSpecSchema } from '../../core/write-spec.js';
import { checkValue, onStep, sameValue } from '../../gateway/control/check-value.js';
import { CONTROL_WRITE_EVENT, createControlService } from '../../gateway/control/index.js';
import type { ControlActor, WriteRequest } from '../../gateway/control/types.js';
import type { LatestValue } from '../../gateway/store/types.js';

const spec = (w: Partial<WriteSpec> = {}): WriteSpec => writeSpecSchema.parse({ timeoutMs: 300, ...w });

const operator: ControlActor = { kind: 'user', name: 'olga', role: 'operator' };
const viewer: ControlActor = { kind: 'user', name: 'vic', role: 'viewer' };
const admin: ControlActor = { kind: 'token', name: 'ci', role: 'admin' };
const ems: ControlActor = { kind: 'ems', name: 'central', role: 'ems' };

/**
 * A device in memory: write() stores the value, read() gives it back. `echo` lets a test make the
 * device read back something else (a fault: the device clamps or ignores the write).
 */
function fakeDevice(initial: Record<string, PointValue>) {
  const values = { ...initial };
  const calls = { writes: [] as Array<[string, unknown]>, reads: 0, inFlight: 0, maxInFlight: 0 };
  const behaviour: { echo?: (id: string, v: PointValue) => PointValue; writeError?: Error } = {};
  const driver: Driver & Writable = {
    deviceId: 'crac1',
    linkId: 'bus1',
    async connect() {},
    async read() {
      calls.reads += 1;
      calls.inFlight += 1;
      calls.maxInFlight = Math.max(calls.maxInFlight, calls.inFlight);
      await new Promise((r) => setTimeout(r, 5));
      calls.inFlight -= 1;
      return Object.entries(values).map(([pointId, value]): Sample => ({ pointId, ts: Date.now(), value, quality: 'good' }));
    },
    async write(pointId, value) {
      calls.inFlight += 1;
      calls.maxInFlight = Math.max(calls.maxInFlight, calls.inFlight);
      await new Promise((r) => setTimeout(r, 5));
      calls.inFlight -= 1;
      calls.writes.push([pointId, value]);
      if (behaviour.writeError) throw behaviour.writeError;
      values[pointId] = behaviour.echo ? behaviour.echo(pointId, value) : value;
    },
    async reset() {},
    async close() {},
  };
  return { driver, values, calls, behaviour };
}

function setup(options: { allowEms?: boolean; state?: CommState; rate?: { count: number; perSeconds: number }; quality?: Quality } = {}) {
  const device: LoadedDevice = {
    id: 'crac1',
    name: 'CRAC 1',
    kind: 'hvac',
    pollIntervalMs: 1000,
    driver: 'modbus',
    points: [
      { id: 'crac1.setpoint', key: 'setpoint', name: 'Setpoint', unit: '°C', write: spec({ min: 15, max: 30, step: 0.1 }) },
      { id: 'crac1.mode', key: 'mode', name: 'Mode', write: spec({ values: ['cool', 'fan', 'off'], role: 'admin' }) },
      { id: 'crac1.run', key: 'run', name: 'Run', write: spec({ values: [true, false], readBack: false }) },
      { id: 'crac1.supply', key: 'supply', name: 'Supply temp' },
    ],
  };
  const fake = fakeDevice({ 'crac1.setpoint': 22, 'crac1.mode': 'cool', 'crac1.run': true, 'crac1.supply': 18.5 });
  const events: Array<{ type: string; data: Record<string, unknown> }> = [];
  const ingested: Sample[] = [];
  let state: CommState = options.state ?? 'up';
  // The monotonic clock runs (read-back deadlines need it) and a test can jump it ahead.
  let jumped = 0;
  const latestOf = (id: string): LatestValue | undefined => {
    if (!(id in fake.values)) return undefined;
    return { pointId: id, seq: 1, ts: 0, value: fake.values[id]!, quality: options.quality ?? 'good', ...(options.quality === 'bad' && { reason: 'timeout' }) };
  };
  const linkLock = createLinkLock();
  const service = createControlService({
    devices: [device],
    driverOf: (id) => (id === 'crac1' ? fake.driver : undefined),
    deviceState: () => state,
    store: { latestOf, appendEvent: (type, data) => events.push({ type, data }) },
    ingest: (samples) => ingested.push(...samples),
    linkLock,
    config: { allowEms: options.allowEms ?? false, rateLimitPerPoint: options.rate ?? { count: 6, perSeconds: 60 } },
    logger: silentLogger,
    monoNow: () => performance.now() + jumped,
    readBackIntervalMs: 20,
  });
  return {
    service,
    fake,
    events,
    ingested,
    linkLock,
    setState: (s: CommState) => {
      state = s;
    },
    advance: (ms: number) => {
      jumped += ms;
    },
    write: (r: Partial<WriteRequest>) => service.write({ pointId: 'crac1.setpoint', value: 21.5, actor: operator, ...r }),
  };
}

describe('control service: refusals, one event each', () => {
  const cases: Array<[string, Parameters<typeof setup>[0], Partial<WriteRequest>, string]> = [
    ['not-found', {}, { pointId: 'crac1.nope' }, 'not-found'],
    ['no write block', {}, { pointId: 'crac1.supply', value: 20 }, 'not-writable'],
    ['text for a number', {}, { value: '21.5' }, 'bad-value'],
    ['missing value', {}, { value: undefined }, 'bad-value'],
    ['NaN', {}, { value: Number.NaN }, 'bad-value'],
    ['number for an enum', {}, { pointId: 'crac1.mode', value: 1, actor: admin }, 'bad-value'],
    ['text for a boolean', {}, { pointId: 'crac1.run', value: 'true' }, 'bad-value'],
    ['below min', {}, { value: 14.9 }, 'out-of-range'],
    ['above max', {}, { value: 30.1 }, 'out-of-range'],
    ['off the step', {}, { value: 21.55 }, 'out-of-range'],
    ['unknown label', {}, { pointId: 'crac1.mode', value: 'heat', actor: admin }, 'out-of-range'],
    ['viewer', {}, { actor: viewer }, 'role'],
    ['operator on an admin point', {}, { pointId: 'crac1.mode', value: 'fan' }, 'role'],
    ['ems without allowEms', {}, { actor: ems }, 'role'],
    ['ems on an admin point', { allowEms: true }, { pointId: 'crac1.mode', value: 'fan', actor: ems }, 'role'],
    ['device down', { state: 'down' }, {}, 'device-down'],
    ['device never connected', { state: 'connecting' }, {}, 'device-down'],
    ['point bad', { quality: 'bad' }, {}, 'point-bad'],
  ];
  for (const [name, options, request, reason] of cases) {
    it(`${name} → ${reason}`, async () => {
      const t = setup(options);
      const result = await t.write({ comment: 'test', ...request });
      expect(result).toMatchObject({ result: 'refused', reason });
      expect(result.message).toBeTruthy();
      expect(t.fake.calls.writes).toEqual([]);
      expect(t.events).toHaveLength(1);
      expect(t.events[0]!.type).toBe(CONTROL_WRITE_EVENT);
      expect(t.events[0]!.data).toMatchObject({ result: 'refused', reason, comment: 'test', pointId: result.pointId });
    });
  }
});

describe('control service: writes', () => {
  it('writes, reads back, verifies, and records who, old and new value', async () => {
    const t = setup();
    const result = await t.write({ value: 21.3, comment: 'summer' });
    expect(result).toMatchObject({ result: 'verified', pointId: 'crac1.setpoint', requested: 21.3, oldValue: 22, readBack: 21.3 });
    expect(t.fake.calls.writes).toEqual([['crac1.setpoint', 21.3]]);
    expect(t.events).toEqual([
      {
        type: 'control.write',
        data: {
          pointId: 'crac1.setpoint',
          deviceId: 'crac1',
          actor: { kind: 'user', name: 'olga', role: 'operator' },
          oldValue: 22,
          requested: 21.3,
          readBack: 21.3,
          result: 'verified',
          comment: 'summer',
          durationMs: expect.any(Number),
        },
      },
    ]);
    // the read-back went to the store as ordinary samples
    expect(t.ingested.some((s) => s.pointId === 'crac1.setpoint' && s.value === 21.3)).toBe(true);
    expect(t.service.stats()).toMatchObject({ verified: 1, refused: 0 });
  });

  it('an allowed EMS writes like an operator and its command id is in the event', async () => {
    const t = setup({ allowEms: true });
    const result = await t.write({ actor: ems, commandId: 'cmd-7', value: 20 });
    expect(result.result).toBe('verified');
    expect(t.events[0]!.data).toMatchObject({ actor: { kind: 'ems', role: 'ems' }, commandId: 'cmd-7', result: 'verified' });
  });

  it('an admin writes an admin enum point; a boolean without read-back is `written`', async () => {
    const t = setup();
    expect(await t.write({ pointId: 'crac1.mode', value: 'fan', actor: admin })).toMatchObject({ result: 'verified', readBack: 'fan' });
    const reads = t.fake.calls.reads;
    expect(await t.write({ pointId: 'crac1.run', value: false })).toMatchObject({ result: 'written', oldValue: true });
    expect(t.fake.calls.reads).toBe(reads);
    expect(t.events.map((e) => e.data.result)).toEqual(['verified', 'written']);
  });

  it('a device that reads back another value → verify-failed after the timeout, with the read-back', async () => {
    const t = setup();
    t.fake.behaviour.echo = () => 25; // the device clamps to its own limit
    const started = Date.now();
    const result = await t.write({ value: 28 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(result).toMatchObject({ result: 'failed', reason: 'verify-failed', readBack: 25 });
    expect(t.fake.calls.reads).toBeGreaterThan(2); // it kept trying until the timeout
    expect(t.events[0]!.data).toMatchObject({ result: 'failed', reason: 'verify-failed', readBack: 25, requested: 28 });
  });

  it('a device exception → write-failed; an unrepresentable value from the driver → out-of-range', async () => {
    const t = setup();
    t.fake.behaviour.writeError = new DriverError('unit 1: illegal data value', 'crac1', 'illegal-value');
    expect(await t.write({})).toMatchObject({ result: 'failed', reason: 'write-failed', message: 'unit 1: illegal data value' });
    t.fake.behaviour.writeError = new DriverError('beyond uint16', 'crac1', 'out-of-range', false);
    expect(await t.write({})).toMatchObject({ result: 'refused', reason: 'out-of-range' });
    expect(t.events.map((e) => e.data.reason)).toEqual(['write-failed', 'out-of-range']);
  });

  it('rate-limits per point on a sliding window of the monotonic clock', async () => {
    const t = setup({ rate: { count: 2, perSeconds: 60 } });
    expect((await t.write({ value: 20 })).result).toBe('verified');
    t.advance(30_000);
    expect((await t.write({ value: 21 })).result).toBe('verified');
    expect(await t.write({ value: 22 })).toMatchObject({ result: 'refused', reason: 'rate-limited' });
    // another point has its own window
    expect((await t.write({ pointId: 'crac1.run', value: true })).result).toBe('written');
    t.advance(30_001); // the first attempt left the window
    expect((await t.write({ value: 22 })).result).toBe('verified');
    expect(await t.write({ value: 23 })).toMatchObject({ reason: 'rate-limited' });
    // a refusal for another reason does not use up the window
    const u = setup({ rate: { count: 1, perSeconds: 60 } });
    await u.write({ value: 99 });
    expect((await u.write({ value: 20 })).result).toBe('verified');
    expect(t.events.filter((e) => e.data.reason === 'rate-limited')).toHaveLength(2);
  });

  it('holds the link lock: a write never runs while a poll of the same link is in flight', async () => {
    const t = setup();
    const poll = t.linkLock.run('bus1', () => t.fake.driver.read(new AbortController().signal));
    const write = t.write({ value: 23 });
    const poll2 = t.linkLock.run('bus1', () => t.fake.driver.read(new AbortController().signal));
    await Promise.all([poll, write, poll2]);
    expect(t.fake.calls.maxInFlight).toBe(1);
    expect((await write).result).toBe('verified');
  });
});

describe('value checks', () => {
  it('step with float tolerance, from min', () => {
    expect(onStep(21.3, 0, 0.1)).toBe(true);
    expect(onStep(0.1 + 0.2, 0, 0.1)).toBe(true);
    expect(onStep(21.35, 0, 0.1)).toBe(false);
    expect(onStep(16, 15.5, 0.5)).toBe(true);
    expect(onStep(16.2, 15.5, 0.5)).toBe(false);
    expect(checkValue(spec({ min: 15.5, step: 0.5 }), 'number', 16.25)).toMatchObject({ ok: false, reason: 'out-of-range' });
  });
  it('read-back comparison: float tolerance, booleans as 0/1, labels equal', () => {
    expect(sameValue(21.3, Math.fround(21.3))).toBe(true);
    expect(sameValue(21.3, 21.4)).toBe(false);
    expect(sameValue(true, 1)).toBe(true);
    expect(sameValue(false, 1)).toBe(false);
    expect(sameValue('cool', 'cool')).toBe(true);
    expect(sameValue('cool', 'fan')).toBe(false);
    expect(sameValue(0, null)).toBe(false);
  });
});
