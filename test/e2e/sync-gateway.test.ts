/**
 * Sync as an integrator meets it: `gateway token create` prints a token once, `gateway run` with a
 * `sync` section pushes to the EMS, and health, /metrics and the pull API show and serve the
 * streams. The receiver's token comes from the environment and never shows in the output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSiteConfig } from '../../config/index.js';
import { type SimulatedSite, startSimulatedSite } from '../../drivers/modbus/simulator/index.js';
import { runCli, spawnCli, stopCli, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { type Receiver, startReceiver } from '../helpers/sync-receiver.js';

const RECEIVER_TOKEN = 'e2e-receiver-secret-6f1c';

describe('gateway with upstream sync', () => {
  let dir: string;
  let file: string;
  let port: number;
  let receiver: Receiver;
  let site: SimulatedSite;
  let child: ReturnType<typeof spawnCli> | undefined;
  let token: string;
  let viewerToken: string;
  const api = (path: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${port}${path}`, init);
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sync-e2e-'));
    receiver = await startReceiver();
    receiver.behaviour.token = RECEIVER_TOKEN;
    port = await freePort();
    file = join(dir, 'site.yaml');
    writeFileSync(
      file,
      [
        'gateway: { id: e2e-gw, dataDir: ./data }',
        `http: { host: 127.0.0.1, port: ${port} }`,
        'storage: { commitIntervalMs: 100, synchronous: normal }',
        'sync:',
        '  pull: { targets: [ems-pull] }',
        '  targets:',
        `    - { id: ems, kind: http, url: "${receiver.url}", token: "\${E2E_SYNC_TOKEN}", retryInitialMs: 50, retryMaxMs: 500 }`,
        'devices:',
        `  - { id: ups1, kind: ups, driver: modbus, profile: ups-generic, pollIntervalMs: 200, connection: { host: 127.0.0.1, port: ${await freePort()} } }`,
        '',
      ].join('\n'),
    );
    process.env.E2E_SYNC_TOKEN = RECEIVER_TOKEN;
    site = await startSimulatedSite(loadSiteConfig(file).devices.filter((d) => d.driver === 'modbus'));
  });

  afterAll(async () => {
    await stopCli(child);
    await site?.stop();
    await receiver?.close();
    delete process.env.E2E_SYNC_TOKEN;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates an API token that is printed once and listed without its secret', { timeout: 60_000 }, () => {
    const created = runCli(['token', 'create', '--config', file, '--name', 'ems', '--role', 'ems'], { E2E_SYNC_TOKEN: RECEIVER_TOKEN });
    expect(created.code, created.stderr).toBe(0);
    token = created.stdout.trim();
    expect(token).toMatch(/^gwt_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/cannot be shown again/);
    const again = runCli(['token', 'create', '--config', file, '--name', 'ems', '--role', 'ems'], { E2E_SYNC_TOKEN: RECEIVER_TOKEN });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists; revoke it first/);
    const viewer = runCli(['token', 'create', '--data-dir', join(dir, 'data'), '--name', 'wall', '--role', 'viewer']);
    expect(viewer.code, viewer.stderr).toBe(0);
    viewerToken = viewer.stdout.trim();
    const listed = runCli(['token', 'list', '--data-dir', join(dir, 'data')]);
    expect(listed.stdout).toMatch(/^ems\tems\tgwt_/m);
    expect(listed.stdout).toMatch(/^wall\tviewer\t/m);
    expect(listed.stdout).not.toContain(token.slice(8));
    const bad = runCli(['token', 'create', '--data-dir', join(dir, 'data'), '--name', 'x', '--role', 'root']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--role must be one of viewer, operator, ems, admin/);
  });

  it('pushes to the EMS and shows the backlog in health and /metrics', { timeout: 30_000 }, async () => {
    child = spawnCli(['run', '--config', file]);
    await waitFor(async () => ((await api('/api/v1/health')).ok ? true : undefined), 15_000, 'the gateway').catch((err: Error) => {
      throw new Error(`${err.message}\n${child!.output()}`);
    });
    await waitFor(() => (receiver.last.readings > 50 ? true : undefined), 15_000, 'readings at the receiver');
    expect(receiver.anomalies).toEqual([]);

    // the sync section is for a login or an API token (any role)
    const health = (await (await api('/api/v1/health', { headers: bearer(viewerToken) })).json()) as {
      sync: { targets: { id: string; kind: string; state: string; lastSuccess: number | null; streams: { readings: { ackedSeq: number; depth: number } } }[]; pull: { id: string }[] };
    };
    const ems = health.sync.targets[0]!;
    expect(ems).toMatchObject({ id: 'ems', kind: 'http' });
    expect(ems.lastSuccess).not.toBeNull();
    expect(ems.streams.readings.ackedSeq).toBeGreaterThan(0);
    expect(health.sync.pull.map((p) => p.id)).toEqual(['ems-pull']);

    // Prometheus scrapes with a token too (any role): `authorization: { credentials: ... }`
    expect((await api('/metrics')).status).toBe(401);
    const metrics = await (await api('/metrics', { headers: bearer(viewerToken) })).text();
    expect(metrics).toMatch(/^gateway_sync_backlog_items\{target="ems",kind="http",stream="readings"\} \d+$/m);
    expect(metrics).toMatch(/^gateway_sync_sent_items_total\{target="ems",kind="http"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^gateway_store_last_seq\{stream="readings"\} [1-9]\d*$/m);
    expect(child.output()).not.toContain(RECEIVER_TOKEN);
  });

  it('serves the pull API to the ems token, refuses others, and sees a revocation at once', async () => {
    expect((await api('/api/v1/sync/readings?after=0&limit=5')).status).toBe(401);
    expect((await api('/api/v1/sync/readings?after=0&limit=5', { headers: bearer(viewerToken) })).status).toBe(403);
    const page = (await (await api('/api/v1/sync/readings?after=0&limit=5', { headers: bearer(token) })).json()) as { items: { seq: number; point: string }[]; more: boolean };
    expect(page.items.map((i) => i.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(page.items[0]!.point).toMatch(/^ups1\./);
    expect(page.more).toBe(true);
    const ack = await api('/api/v1/sync/ack', {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'ems-pull', stream: 'readings', seq: 5 }),
    });
    expect(await ack.json()).toEqual({ target: 'ems-pull', stream: 'readings', ackedSeq: 5 });

    expect(runCli(['token', 'revoke', '--data-dir', join(dir, 'data'), '--name', 'ems']).code).toBe(0);
    expect((await api('/api/v1/sync/readings?after=0&limit=5', { headers: bearer(token) })).status).toBe(401);
  });
});
