/**
 * The first admin on a real install: `gateway user add` (password piped on stdin or from the
 * environment, never on the command line), and GATEWAY_ADMIN_PASSWORD on a first run. Without
 * either, nobody can log in: there is no default password.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, stopCli, waitFor } from '../helpers/cli.js';

const CLI = join(REPO_ROOT, 'app', 'cli.ts');

function cli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: REPO_ROOT,
    input: options.input ?? '',
    env: { ...process.env, GATEWAY_USER_PASSWORD: '', GATEWAY_ADMIN_PASSWORD: '', ...options.env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('users from the command line and the first run', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-auth-cli-'));
  });
  afterEach(async () => {
    await stopCli(child);
    child = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  // several CLI runs (TypeScript loaded each time, scrypt per password): slow on a loaded machine
  it('adds users with a piped or environment password, lists them, refuses weak passwords', { timeout: 60_000 }, () => {
    const data = join(dir, 'data');
    const piped = cli(['user', 'add', '--name', 'kim', '--role', 'admin', '--data-dir', data], { input: 'a long password\n' });
    expect(piped.stderr).toContain('user "kim" (admin) added');
    expect(piped.code).toBe(0);
    const env = cli(['user', 'add', '--name', 'lee', '--role', 'viewer', '--data-dir', data], { env: { GATEWAY_USER_PASSWORD: 'another long one' } });
    expect(env.code).toBe(0);
    const weak = cli(['user', 'add', '--name', 'park', '--role', 'viewer', '--data-dir', data], { input: 'short\n' });
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('at least 10 characters');
    const twice = cli(['user', 'add', '--name', 'KIM', '--role', 'viewer', '--data-dir', data], { input: 'a long password\n' });
    expect(twice.stderr).toContain('already exists');
    const list = cli(['user', 'list', '--data-dir', data]);
    expect(list.stdout.trim().split('\n').map((l) => l.split('\t').slice(0, 2))).toEqual([
      ['kim', 'admin'],
      ['lee', 'viewer'],
    ]);
    expect(list.stdout).not.toContain('long');
    expect(cli(['user', 'remove', '--name', 'kim', '--data-dir', data]).stderr).toContain('last admin');
  });

  async function runGateway(env: NodeJS.ProcessEnv): Promise<{ base: string; output: () => string }> {
    writeFileSync(join(dir, 'site.yaml'), `gateway: { id: gw-first, dataDir: ./data }\nhttp: { host: 127.0.0.1, port: 0 }\ndevices: []\n`);
    let output = '';
    child = spawn(process.execPath, ['--import', 'tsx', CLI, 'run', '--config', join(dir, 'site.yaml')], {
      cwd: REPO_ROOT,
      env: { ...process.env, GATEWAY_ADMIN_PASSWORD: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => {
      output += d;
    });
    child.stderr!.on('data', (d) => {
      output += d;
    });
    const port = await waitFor(() => /"http":"127\.0\.0\.1:(\d+)"|http=127\.0\.0\.1:(\d+)/.exec(output)?.slice(1).find(Boolean), 20_000, 'the gateway to start');
    return { base: `http://127.0.0.1:${port}`, output: () => output };
  }

  const login = (base: string, user: string, password: string) =>
    fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }) });

  it('creates the first admin from GATEWAY_ADMIN_PASSWORD on a first run', async () => {
    const gw = await runGateway({ GATEWAY_ADMIN_PASSWORD: 'first admin password', GATEWAY_ADMIN_USER: 'chief' });
    expect(gw.output()).toContain('first admin created from GATEWAY_ADMIN_PASSWORD');
    expect(gw.output()).not.toContain('first admin password');
    const res = await login(gw.base, 'chief', 'first admin password');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: 'chief', role: 'admin' });
  });

  it('without users and without the variable, nobody can log in (no default password)', async () => {
    const gw = await runGateway({});
    expect(gw.output()).toContain('no users yet');
    for (const [user, password] of [
      ['admin', 'admin'],
      ['admin', 'password'],
      ['admin', ''],
    ]) {
      expect((await login(gw.base, user!, password!)).status).toBe(401);
    }
    expect((await fetch(`${gw.base}/api/v1/points`)).status).toBe(401);
    expect((await fetch(`${gw.base}/api/v1/health`)).status).toBe(200);
  });
});
