/**
 * Live reload from the command line on a real `gateway run` process polling a real Modbus server
 * (pymodbus): `gateway reload --config FILE` adds a device (signing in through the data folder with
 * a token it revokes after), a broken file is refused with its lines and changes nothing, a
 * restart-only change is refused by name, and `kill -HUP` re-reads the site file.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuthDb } from '../../gateway/auth/index.js';
import { createTokenStore } from '../../gateway/auth/tokens.js';
import { REPO_ROOT, spawnCli, stopCli, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { peersAvailable } from '../helpers/peers.js';
import { type PymodbusPeer, startPymodbus } from '../helpers/pymodbus.js';

const RUN = peersAvailable('pymodbus');
const CLI = join(REPO_ROOT, 'app', 'cli.ts');

function device(id: string, unitId: number, port: number): string {
  return `  - id: ${id}
    driver: modbus
    connection: { host: 127.0.0.1, port: ${port}, unitId: ${unitId} }
    pollIntervalMs: 500
    points:
      - { key: load, table: holding, address: 0, type: uint16 }
`;
}

describe.skipIf(!RUN)('gateway reload and SIGHUP', () => {
  let dir: string;
  let file: string;
  let peer: PymodbusPeer;
  let gateway: ChildProcess & { output: () => string };
  let httpPort: number;
  let token: string;

  const site = (devices: string, port = httpPort) => `gateway: { id: gw-reload, dataDir: ./data }\nhttp: { host: 127.0.0.1, port: ${port} }\ndevices:\n${devices}`;
  // not spawnSync: a blocked test process misses the server closing its idle keep-alive socket
  const reload = (...extra: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const args = ['--import', 'tsx', CLI, 'reload', '--config', file, ...extra];
      execFile(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, GATEWAY_TOKEN: '' }, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
      });
    });
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    peer = await startPymodbus({ transport: 'tcp' }, { 1: { holding: [{ address: 0, type: 'uint16', value: 11 }] }, 2: { holding: [{ address: 0, type: 'uint16', value: 22 }] } });
    httpPort = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'gw-reload-'));
    file = join(dir, 'site.yaml');
    writeFileSync(file, site(device('ups1', 1, peer.port!)));
    gateway = spawnCli(['run', '--config', file]);
    await waitFor(() => (/gateway started/.test(gateway.output()) ? true : undefined), 30_000, 'the gateway to start');
    // an admin token of the test's own, made beside the running gateway as `gateway token` does
    const db = openAuthDb(join(dir, 'data', 'auth.db'));
    token = createTokenStore(db).create('reload-test', 'admin').token;
    db.close();
    await waitFor(async () => ((await get('/api/v1/points/ups1.load')).body.value === 11 ? true : undefined), 15_000, 'the first poll');
  }, 60_000);

  afterAll(async () => {
    await stopCli(gateway);
    await peer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds a device with `gateway reload`, and leaves no token behind', async () => {
    writeFileSync(file, site(device('ups1', 1, peer.port!) + device('ups2', 2, peer.port!)));
    expect(await reload('--guard-s', 'soon')).toMatchObject({ code: 2 });
    const res = await reload('--guard-s', '0');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('devices: + ups2\napplied as version 2\n');
    await waitFor(async () => ((await get('/api/v1/points/ups2.load')).body.value === 22 ? true : undefined), 10_000, 'the added device');
    // --guard-s 0: no watch after this apply
    expect((await get('/api/v1/health')).body.config).toMatchObject({ version: 2, guard: null });
    const db = openAuthDb(join(dir, 'data', 'auth.db'));
    expect(createTokenStore(db).list().map((t) => t.name)).toEqual(['reload-test']);
    db.close();
    // the same file again: nothing to do
    expect(await reload()).toMatchObject({ code: 0, stdout: 'no change: the running config is the same\n' });
  }, 30_000);

  it('refuses a broken file with every problem and its line, and a restart-only change by name', async () => {
    writeFileSync(file, `${site(device('ups1', 1, peer.port!) + device('ups2', 2, peer.port!))}    bogus: 1\n`);
    const broken = await reload();
    expect(broken.code).toBe(1);
    expect(broken.stderr).toBe(`${file}:16 devices[1].bogus: unknown key "bogus"\n1 problem(s) in the config; nothing changed\n`);
    // the new file names another port; --url reaches the running gateway on its old one
    writeFileSync(file, site(device('ups1', 1, peer.port!) + device('ups2', 2, peer.port!), httpPort + 1));
    const moved = await reload('--url', `http://127.0.0.1:${httpPort}`);
    expect(moved.code).toBe(1);
    expect(moved.stderr).toBe('http.port: needs a restart\nnot applied live; nothing changed\n');
    expect(((await get('/api/v1/config/versions')).body.versions as unknown[]).length).toBe(2);
  }, 30_000);

  it('re-reads the site file on SIGHUP', async () => {
    writeFileSync(file, site(device('ups2', 2, peer.port!)));
    gateway.kill('SIGHUP');
    await waitFor(async () => ((await get('/api/v1/devices/ups1')).status === 404 ? true : undefined), 10_000, 'ups1 removed');
    const versions = (await get('/api/v1/config/versions')).body.versions as Array<{ n: number; source: string; summary: string[] }>;
    expect(versions[0]).toMatchObject({ n: 3, source: 'sighup', summary: ['devices: - ups1'] });
    expect((await get('/api/v1/devices/ups2')).status).toBe(200);
    expect(gateway.exitCode).toBeNull();
  }, 30_000);
});
