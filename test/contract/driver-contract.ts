/**
 * The behaviour every protocol driver owes the sampler, as one reusable suite. A driver's test
 * file calls describeDriverContract with a setup that starts a real peer and builds the driver.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Driver, isPushSource } from '../../core/driver.js';
import { DriverError } from '../../core/errors.js';
import type { Sample } from '../../core/types.js';

export interface DriverContractSetup {
  /** not yet connected */
  driver: Driver;
  /** the ids read() must return, in order */
  expectedPointIds: string[];
  /** Makes the peer unreachable (stop it, drop the connection). */
  breakLink(): Promise<void>;
  /** Brings the peer back at the same address; resolves once it accepts clients. */
  restoreLink(): Promise<void>;
  /** Stops the peer and anything else the setup started. */
  teardown(): Promise<void>;
  /**
   * Push drivers (PushSource): makes the peer send a new value for the first expected point and
   * returns that value, so the suite can see it arrive through subscribe().
   */
  changeValue?(): Promise<unknown>;
}

export interface DriverContractOptions {
  /** skip the suite (its peer is missing on this machine) */
  skip?: boolean;
  /** the driver is a PushSource: the suite also checks subscribe() (the setup gives changeValue) */
  push?: boolean;
  /** false for an in-process link (the embedded MQTT broker), which has no network to break */
  linkCanBreak?: boolean;
}

const QUALITIES = ['good', 'uncertain', 'bad'];

function signal(ms = 10_000): AbortSignal {
  return AbortSignal.timeout(ms);
}

function expectWellFormed(samples: Sample[], expectedPointIds: string[]) {
  expect(samples.map((s) => s.pointId)).toEqual(expectedPointIds);
  const now = Date.now();
  for (const s of samples) {
    expect(QUALITIES).toContain(s.quality);
    expect(Number.isFinite(s.ts)).toBe(true);
    expect(Math.abs(now - s.ts)).toBeLessThan(10_000);
    if (s.quality === 'good') {
      expect(s.value).not.toBeNull();
      expect(s.reason).toBeUndefined();
    } else {
      expect(typeof s.reason).toBe('string');
    }
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function describeDriverContract(
  name: string,
  setup: () => Promise<DriverContractSetup>,
  options: DriverContractOptions = {},
): void {
  describe.skipIf(options.skip ?? false)(`driver contract: ${name}`, () => {
    let ctx: DriverContractSetup | undefined;

    beforeEach(async () => {
      ctx = await setup();
    });

    afterEach(async () => {
      await ctx?.driver.close().catch(() => undefined);
      await ctx?.teardown();
      ctx = undefined;
    });

    it('reads one sample per point, in point order, with the point ids, a quality and a current ts', async () => {
      const { driver, expectedPointIds } = ctx!;
      await driver.connect(signal());
      const samples = await driver.read(signal());
      expectWellFormed(samples, expectedPointIds);
      // a healthy peer with healthy points: every value arrives
      expect(samples.filter((s) => s.quality !== 'good')).toEqual([]);
      const again = await driver.read(signal());
      expectWellFormed(again, expectedPointIds);
    });

    it(`is ${options.push ? '' : 'not '}a push source`, () => {
      expect(isPushSource(ctx!.driver)).toBe(options.push ?? false);
    });

    if (options.push)
      it('delivers changed values through subscribe() and stops delivering after unsubscribe', async () => {
      const { driver, expectedPointIds, changeValue } = ctx!;
      if (!isPushSource(driver) || !changeValue) throw new Error('a push driver needs a push setup (changeValue)');
      const [first] = expectedPointIds;
      await driver.connect(signal());
      const received: Sample[] = [];
      const unsubscribe = driver.subscribe((samples) => received.push(...samples));
      const value = await changeValue();
      await until(() => received.some((s) => s.pointId === first && s.value === value), 'the changed value through subscribe()');
      expect(received.every((s) => expectedPointIds.includes(s.pointId) && QUALITIES.includes(s.quality))).toBe(true);
      unsubscribe();
      const count = received.length;
      await changeValue();
      await new Promise((r) => setTimeout(r, 500));
      expect(received.length).toBe(count);
    });

    it('rejects with the abort reason when the signal is already aborted', async () => {
      const { driver } = ctx!;
      const reason = new Error('poll deadline passed');
      await expect(driver.connect(AbortSignal.abort(reason))).rejects.toBe(reason);
      await driver.connect(signal());
      await expect(driver.read(AbortSignal.abort(reason))).rejects.toBe(reason);
      // the aborted call left the driver usable
      expect(await driver.read(signal())).toHaveLength(ctx!.expectedPointIds.length);
    });

    if (options.linkCanBreak ?? true)
      it('throws a retryable DriverError naming the device when the link breaks', async () => {
      const { driver } = ctx!;
      await driver.connect(signal());
      await driver.read(signal());
      await ctx!.breakLink();
      const err = await driver.read(signal()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DriverError);
      expect((err as DriverError).retryable).toBe(true);
      expect((err as DriverError).deviceId).toBe(driver.deviceId);
      expect(['timeout', 'comm']).toContain((err as DriverError).reason);
    });

    if (options.linkCanBreak ?? true)
      it('recovers with reset() and connect() once the peer is back', async () => {
      const { driver, expectedPointIds } = ctx!;
      await driver.connect(signal());
      await driver.read(signal());
      await ctx!.breakLink();
      await expect(driver.read(signal())).rejects.toBeInstanceOf(DriverError);
      await driver.reset();
      await ctx!.restoreLink();
      await driver.connect(signal());
      const samples = await driver.read(signal());
      expectWellFormed(samples, expectedPointIds);
      expect(samples.every((s) => s.quality === 'good')).toBe(true);
    });

    it('close() is idempotent and a closed driver does not read', async () => {
      const { driver } = ctx!;
      await driver.connect(signal());
      await driver.read(signal());
      await driver.close();
      await driver.close();
      await expect(driver.read(signal())).rejects.toBeInstanceOf(DriverError);
    });
  });
}
