/**
 * The OPC UA driver under the real sampler when the server restarts or the network drops:
 * values resume on their own (default backoff), and the server never holds more than the one
 * session the device needs (the BadTooManySessions failure of gateways that leak sessions).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOpcuaDriver } from '../../drivers/opcua/driver.js';
import { silentLogger } from '../../core/logger.js';
import { createSampler, type Sampler } from '../../gateway/sampler.js';
import type { Sample } from '../../core/types.js';
import { createTestPki, opcuaDevice, silenceOpcuaLibrary, type TestPki } from '../helpers/opcua-fixtures.js';
import { startTestOpcuaServer, type TestOpcuaServer, testPoints } from '../helpers/opcua-server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/opcua-tcp-proxy.js';

let server: TestOpcuaServer;
let pki: TestPki;
let sampler: Sampler | undefined;
let proxy: TcpProxy | undefined;
let ticker: NodeJS.Timeout | undefined;

beforeAll(async () => {
  silenceOpcuaLibrary();
  server = await startTestOpcuaServer();
  pki = createTestPki();
  // a fresh value every 100 ms, so "values resume" is visible as new samples
  let n = 0;
  ticker = setInterval(() => {
    if (server.running) server.set('Temperature', 20 + (n++ % 100) / 10);
  }, 100);
});

afterEach(async () => {
  await sampler?.stop();
  sampler = undefined;
  await proxy?.close();
  proxy = undefined;
  if (!server.running) await server.start();
});

afterAll(async () => {
  clearInterval(ticker);
  await server?.dispose();
  await pki?.remove();
});

function run(endpoint: string) {
  const samples: Array<Sample & { at: number }> = [];
  const driver = createOpcuaDriver(opcuaDevice('pump', endpoint, testPoints('pump')), { pki, logger: silentLogger });
  sampler = createSampler({
    devices: [{ driver, pollIntervalMs: 500, pointIds: testPoints('pump').map((p) => p.id) }],
    sink: (batch) => samples.push(...batch.map((s) => ({ ...s, at: Date.now() }))),
    logger: silentLogger,
  });
  sampler.start();
  return samples;
}

async function until(check: () => boolean, ms: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`condition not met within ${ms} ms`);
}

const freshGood = (samples: Array<Sample & { at: number }>, after: number) =>
  samples.some((s) => s.pointId === 'pump.temperature' && s.quality === 'good' && s.at > after);

describe('opcua resilience', () => {
  it('resumes within 10 s after each server restart, with one session on the server', async () => {
    const samples = run(server.endpoint);
    await until(() => freshGood(samples, 0) && sampler!.statusOf('pump')!.state === 'up', 10_000);
    expect(server.sessionCount()).toBe(1);
    for (let restart = 1; restart <= 2; restart++) {
      await server.stop();
      await until(() => sampler!.statusOf('pump')!.state !== 'up', 10_000);
      await server.start();
      const back = Date.now();
      const resumedMs = await until(() => freshGood(samples, back) && sampler!.statusOf('pump')!.state === 'up', 10_000);
      expect(resumedMs).toBeLessThan(10_000);
      expect(server.sessionCount()).toBe(1);
    }
  });

  it('closes the session its lost connection left on the server when it reconnects', async () => {
    proxy = await startTcpProxy(server.port);
    const samples = run(`opc.tcp://127.0.0.1:${proxy.port}`);
    await until(() => freshGood(samples, 0), 10_000);
    let most = server.sessionCount();
    const watch = setInterval(() => {
      most = Math.max(most, server.sessionCount());
    }, 10);
    try {
      for (let cut = 1; cut <= 3; cut++) {
        const accepted = proxy.accepted;
        proxy.cut();
        await until(() => proxy!.accepted > accepted, 10_000);
        const after = Date.now();
        await until(() => freshGood(samples, after), 10_000);
      }
    } finally {
      clearInterval(watch);
    }
    // a new session exists for a moment before the old one is closed, never more
    expect(most).toBeLessThanOrEqual(2);
    expect(server.sessionCount()).toBe(1);
  });

  it('leaves no session behind when the gateway stops', async () => {
    const samples = run(server.endpoint);
    await until(() => freshGood(samples, 0), 10_000);
    await sampler!.stop();
    sampler = undefined;
    await until(() => server.sessionCount() === 0, 2000);
  });
});
