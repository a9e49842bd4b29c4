/**
 * The stand-in OPC UA driver the module hands the sampler before node-opcua is loaded: until the
 * real driver exists nothing reads or writes, and a library that fails to load (a fault, injected
 * here) makes the device `down` with the load error as its last error, while the gateway runs on.
 */
import { describe, expect, it } from 'vitest';
import { isPushSource, isWritable } from '../../core/driver.js';
import { DriverError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { createLoadingDriver } from '../../drivers/opcua/loading-driver.js';
import { createSampler } from '../../gateway/sampler.js';

const brokenLibrary = () => Promise.reject(new Error("Cannot find module 'node-opcua-client'"));

describe('opcua loading driver', () => {
  it('pushes and writes like the real driver will (subscribe mode pushes, poll mode does not)', () => {
    const subscribing = createLoadingDriver({ id: 'crac3', mode: 'subscribe' }, brokenLibrary);
    const polling = createLoadingDriver({ id: 'crac4', mode: 'poll' }, brokenLibrary);
    expect(isPushSource(subscribing)).toBe(true);
    expect(isPushSource(polling)).toBe(false);
    expect(isWritable(subscribing) && isWritable(polling)).toBe(true);
    expect(subscribing.linkId).toBe('opcua:crac3');
  });

  it('refuses reads, writes and subscriptions before its driver has loaded and connected', async () => {
    let loads = 0;
    let failLoad: (err: Error) => void = () => undefined;
    const driver = createLoadingDriver({ id: 'crac3', mode: 'subscribe' }, () => {
      loads++;
      return new Promise((_, reject) => {
        failLoad = reject;
      });
    });
    // nothing is loaded until a device connects
    expect(loads).toBe(0);
    await expect(driver.read(AbortSignal.timeout(1000))).rejects.toThrow(/still loading/);
    await expect(driver.write('crac3.supply', 21, AbortSignal.timeout(1000))).rejects.toBeInstanceOf(DriverError);
    expect(() => driver.subscribe?.(() => undefined)).toThrow(/still loading/);
    const aborted = new AbortController();
    const connecting = driver.connect(aborted.signal);
    aborted.abort(new Error('poll deadline'));
    await expect(connecting).rejects.toThrow('poll deadline');
    await driver.connect(AbortSignal.timeout(20)).catch(() => undefined);
    // one load for every connect
    expect(loads).toBe(1);
    // close waits for a load under way (a driver it ends in must be closed too)
    const closing = driver.close();
    failLoad(new Error('gone'));
    await closing;
    await expect(driver.connect(AbortSignal.timeout(1000))).rejects.toThrow(/could not be loaded: gone/);
  });

  it('a library that fails to load makes the device down with that error as its last error', async () => {
    const sampled: string[] = [];
    const driver = createLoadingDriver({ id: 'crac3', mode: 'subscribe' }, brokenLibrary);
    const sampler = createSampler({
      devices: [{ driver, pollIntervalMs: 1000, pointIds: ['crac3.supply'] }],
      sink: (samples) => sampled.push(...samples.map((s) => `${s.pointId}:${s.quality}`)),
      logger: silentLogger,
      downAfterFailures: 1,
    });
    sampler.start();
    try {
      await expect.poll(() => sampler.statusOf('crac3')?.state, { timeout: 2000 }).toBe('down');
      expect(sampler.statusOf('crac3')?.lastError).toBe("crac3: the OPC UA driver could not be loaded: Cannot find module 'node-opcua-client'");
      // the outage is marked in history like any other
      expect(sampled).toEqual(['crac3.supply:bad']);
    } finally {
      await sampler.stop();
    }
  });
});
