/**
 * A live change with an OPC UA driver: a device added live is started by the OPC UA module in a
 * group of its own (its own PKI handle on the same folder as the running one), connects and reads,
 * while the device that was there keeps its session and its poll count. The server is node-opcua
 * in this process (the project's test server).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../app/start-gateway.js';
import { loadSiteConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import { openAuthDb } from '../../gateway/auth/index.js';
import { createTokenStore } from '../../gateway/auth/tokens.js';
import { startTestOpcuaServer, type TestOpcuaServer } from '../helpers/opcua-server.js';

const pump = (id: string, endpoint: string, node: string) => `  - id: ${id}
    driver: opcua
    mode: poll
    pollIntervalMs: 250
    connection: { endpoint: "${endpoint}" }
    points:
      - { key: v, nodeId: "ns=1;s=Test.${node}" }
`;

describe('live configuration with OPC UA devices', () => {
  let dir: string;
  let server: TestOpcuaServer;
  let gateway: RunningGateway;
  let token: string;
  const site = (devices: string) => `gateway: { id: live-opcua, dataDir: ./data }\nhttp: { host: 127.0.0.1, port: 0 }\nstorage: { commitIntervalMs: 50 }\ndevices:\n${devices}`;
  const call = async (method: string, path: string, body?: string) => {
    const res = await fetch(`http://127.0.0.1:${gateway.port}${path}`, { method, headers: { authorization: `Bearer ${token}` }, ...(body !== undefined && { body }) });
    // biome-ignore lint/suspicious/noExplicitAny: JSON replies
    return { status: res.status, body: (await res.json()) as any };
  };
  async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await check().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    server = await startTestOpcuaServer();
    server.set('Temperature', 21.5);
    server.set('Running', true);
    dir = mkdtempSync(join(tmpdir(), 'gw-live-opcua-'));
    const file = join(dir, 'site.yaml');
    writeFileSync(file, site(pump('pump1', server.endpoint, 'Temperature')));
    const config = loadSiteConfig(file);
    mkdirSync(config.gateway.dataDir, { recursive: true });
    const authDb = openAuthDb(join(config.gateway.dataDir, 'auth.db'));
    token = createTokenStore(authDb).create('opcua-admin', 'admin').token;
    authDb.close();
    gateway = await startGateway(config, { logger: silentLogger, version: 'test', firstAdmin: false });
    await until(async () => ((await call('GET', '/api/v1/points/pump1.v')).body.value === 21.5 ? true : undefined), 'the first read', 20_000);
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await server?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds an OPC UA device live; the running one keeps its session and its polls', async () => {
    const before = (await call('GET', '/api/v1/devices/pump1')).body;
    const sessions = server.sessionCount();
    const beforeAt = Date.now();
    const applied = await call('POST', '/api/v1/config?guardS=0', site(pump('pump1', server.endpoint, 'Temperature') + pump('pump2', server.endpoint, 'Running')));
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body.summary).toEqual(['devices: + pump2']);
    await until(async () => ((await call('GET', '/api/v1/points/pump2.v')).body.value === true ? true : undefined), 'the added device', 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    const after = (await call('GET', '/api/v1/devices/pump1')).body;
    expect(after.polls - before.polls).toBeGreaterThanOrEqual(Math.floor((Date.now() - beforeAt) / 250) - 3);
    expect(after.overruns).toBe(before.overruns);
    // one more session (the new device's), the old one untouched
    expect(server.sessionCount()).toBe(sessions + 1);
  }, 40_000);
});
