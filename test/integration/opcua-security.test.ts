/**
 * Secure sessions against node-opcua's server offering only SignAndEncrypt (Basic256Sha256) with
 * user names: trusting the server's certificate (by copying it, or on first use), logins, and the
 * errors an integrator sees when trust or the password is wrong.
 */
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpcuaDriver } from '../../drivers/opcua/driver.js';
import type { OpcuaConnection } from '../../drivers/opcua/point.js';
import { Secret } from '../../core/secret.js';
import { DriverError } from '../../core/errors.js';
import { createLogger, silentLogger } from '../../core/logger.js';
import { createSampler } from '../../gateway/sampler.js';
import { createTestPki, opcuaDevice, silenceOpcuaLibrary, type TestPki } from '../helpers/opcua-fixtures.js';
import { startTestOpcuaServer, type TestOpcuaServer, testPoints } from '../helpers/opcua-server.js';

const PASSWORD = 'correct-horse-7';
let server: TestOpcuaServer;
const pkis: TestPki[] = [];
const others: TestOpcuaServer[] = [];

beforeAll(async () => {
  silenceOpcuaLibrary();
  server = await startTestOpcuaServer({ securityModes: ['SignAndEncrypt'], users: { operator: PASSWORD } });
});

afterAll(async () => {
  await server?.dispose();
  for (const s of others) await s.dispose();
  for (const p of pkis) await p.remove();
});

function freshPki(): TestPki {
  const pki = createTestPki();
  pkis.push(pki);
  return pki;
}

function secure(overrides: Partial<OpcuaConnection> = {}): Partial<OpcuaConnection> {
  return {
    securityMode: 'SignAndEncrypt',
    securityPolicy: 'Basic256Sha256',
    username: 'operator',
    password: new Secret(PASSWORD),
    ...overrides,
  };
}

const signal = () => AbortSignal.timeout(10_000);

async function connectError(connect: Promise<void>): Promise<DriverError> {
  const err = await connect.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DriverError);
  return err as DriverError;
}

describe('opcua security', () => {
  it('refuses an untrusted server certificate, and accepts it once moved from rejected/ to trusted/certs', async () => {
    const pki = freshPki();
    const device = opcuaDevice('chiller', server.endpoint, testPoints('chiller'), { connection: secure() });
    const driver = createOpcuaDriver(device, { pki, logger: silentLogger });
    const err = await connectError(driver.connect(signal()));
    expect(err.reason).toBe('certificate');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`the server certificate of ${server.endpoint} is not trusted`);
    expect(err.message).toContain(join(pki.rootDir, 'trusted', 'certs'));
    const rejected = readdirSync(pki.rejectedDir);
    expect(rejected).toHaveLength(1);

    renameSync(join(pki.rejectedDir, rejected[0]!), join(pki.trustedDir, rejected[0]!));
    await driver.connect(signal());
    const samples = await driver.read(signal());
    expect(samples.map((s) => s.quality)).toEqual(['good', 'good', 'good', 'good']);
    expect(server.sessionCount()).toBe(1);
    await driver.close();
  });

  it('trustOnFirstUse pins the first certificate and refuses a different one later', async () => {
    const pki = freshPki();
    const first = createOpcuaDriver(opcuaDevice('chiller', server.endpoint, testPoints('chiller'), { connection: secure({ trustOnFirstUse: true }) }), {
      pki,
      logger: silentLogger,
    });
    await first.connect(signal());
    expect((await first.read(signal()))[0]!.quality).toBe('good');
    await first.close();
    expect(pki.pinnedThumbprint('chiller')).toMatch(/^[0-9a-f]{40}$/);
    expect(readdirSync(pki.trustedDir)).toHaveLength(1);

    // Another server (another certificate) now answers for the same device.
    const impostor = await startTestOpcuaServer({ securityModes: ['SignAndEncrypt'], users: { operator: PASSWORD } });
    others.push(impostor);
    const second = createOpcuaDriver(opcuaDevice('chiller', impostor.endpoint, testPoints('chiller'), { connection: secure({ trustOnFirstUse: true }) }), {
      pki,
      logger: silentLogger,
    });
    const err = await connectError(second.connect(signal()));
    expect(err.reason).toBe('certificate');
    expect(impostor.sessionCount()).toBe(0);
  });

  it('a wrong password is a clear error in the status and the log, retried with backoff, never printed', async () => {
    const pki = freshPki();
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    const device = opcuaDevice('chiller', server.endpoint, testPoints('chiller'), {
      connection: secure({ password: new Secret('wrong-password-42'), trustOnFirstUse: true }),
    });
    let activations = 0;
    const onRequest = (request: { constructor: { name: string } }) => {
      if (request.constructor.name === 'ActivateSessionRequest') activations += 1;
    };
    server.running!.server.on('request', onRequest);
    const sampler = createSampler({
      devices: [{ driver: createOpcuaDriver(device, { pki, logger }), pollIntervalMs: 200, pointIds: testPoints('chiller').map((p) => p.id) }],
      sink: () => undefined,
      logger,
    });
    sampler.start();
    try {
      await new Promise((r) => setTimeout(r, 4000));
    } finally {
      await sampler.stop();
      server.running!.server.off('request', onRequest);
    }
    const status = sampler.statusOf('chiller')!;
    expect(status.state).toBe('down');
    expect(status.lastError).toBe(`chiller: ${server.endpoint} refused user "operator" (BadUserAccessDenied): check the username and the password`);
    // 1 s doubling backoff: attempts at 0, ~0.5-1 s, ~1.5-3 s (and maybe one more) in 4 s, not one per 200 ms poll
    expect(activations).toBeGreaterThanOrEqual(2);
    expect(activations).toBeLessThanOrEqual(4);
    const log = lines.join('\n');
    expect(log).toContain('refused user \\"operator\\"');
    expect(log).not.toContain('wrong-password-42');
    expect(server.sessionCount()).toBe(0);
  });

  it("names the gateway's own certificate when the server rejects it", async () => {
    const strict = await startTestOpcuaServer({ securityModes: ['SignAndEncrypt'], users: { operator: PASSWORD }, trustAnyClient: false });
    others.push(strict);
    const pki = freshPki();
    const driver = createOpcuaDriver(opcuaDevice('chiller', strict.endpoint, testPoints('chiller'), { connection: secure({ trustOnFirstUse: true }) }), {
      pki,
      logger: silentLogger,
    });
    const err = await connectError(driver.connect(signal()));
    expect(err.reason).toBe('certificate');
    expect(err.message).toContain(`${strict.endpoint} rejected the gateway's certificate`);
    expect(err.message).toContain(join(pki.rootDir, 'own', 'certs', 'client_certificate.pem'));
    expect(existsSync(pki.ownCertificateFile)).toBe(true);
  });

  it('says so when the server offers no endpoint for the configured security', async () => {
    const pki = freshPki();
    const driver = createOpcuaDriver(opcuaDevice('chiller', server.endpoint, testPoints('chiller')), { pki, logger: silentLogger });
    const err = await connectError(driver.connect(signal()));
    expect(err.reason).toBe('config');
    expect(err.message).toContain('offers no endpoint with securityMode None and securityPolicy None');
  });
});
