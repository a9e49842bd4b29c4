/**
 * One gateway per data folder: a second `gateway run` on the same dataDir is refused at once with a
 * clear message (it used to start and only clash on the HTTP port, or run beside the first on
 * another port); `gateway user add` still works beside the running one; a lock left by a kill -9
 * does not block the next start; a clean stop removes the lock.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, spawnCli, stopCli, waitFor } from '../helpers/cli.js';

const CLI = join(REPO_ROOT, 'app', 'cli.ts');
const STARTED = /gateway started/;

describe('the data folder lock', () => {
  let dir: string;
  let config: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-lock-'));
    config = join(dir, 'site.yaml');
    // port 0: without the lock, a second gateway would start fine on another port
    writeFileSync(config, 'gateway: { id: gw-lock, dataDir: ./data }\nhttp: { host: 127.0.0.1, port: 0 }\ndevices: []\n');
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) await stopCli(c);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const start = () => {
    const child = spawnCli(['run', '--config', config]);
    children.push(child);
    return child;
  };
  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

  it('refuses a second gateway on the same data folder with a clear message; other commands still work', async () => {
    const first = start();
    await waitFor(() => (STARTED.test(first.output()) ? true : undefined), 20_000, 'the first gateway to start');
    const lockFile = join(dir, 'data', 'gateway.lock');
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: first.pid });

    const second = start();
    const code = await Promise.race([exited(second), new Promise<'running'>((r) => setTimeout(() => r('running'), 15_000))]);
    expect(code).toBe(1);
    expect(second.output()).toContain(`is in use by another gateway (pid ${first.pid})`);
    expect(second.output()).not.toMatch(STARTED);
    expect(second.output()).not.toMatch(/\n\s+at /);
    // the first one is untouched
    expect(first.exitCode).toBeNull();
    expect(existsSync(lockFile)).toBe(true);

    // `gateway user add` opens auth.db only, beside the running gateway
    const add = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'user', 'add', '--name', 'kim', '--role', 'admin', '--data-dir', join(dir, 'data')], {
      cwd: REPO_ROOT,
      input: 'a long password\n',
      env: { ...process.env, GATEWAY_USER_PASSWORD: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(add.stderr).toContain('user "kim" (admin) added');
    expect(add.status).toBe(0);

    await stopCli(first);
    expect(existsSync(lockFile)).toBe(false);
  });

  it('a lock left by a kill -9 does not block the next start', async () => {
    const first = start();
    await waitFor(() => (STARTED.test(first.output()) ? true : undefined), 20_000, 'the first gateway to start');
    first.kill('SIGKILL');
    await exited(first);
    expect(existsSync(join(dir, 'data', 'gateway.lock'))).toBe(true);

    const next = start();
    await waitFor(() => (STARTED.test(next.output()) ? true : undefined), 20_000, 'the next gateway to start');
    expect(JSON.parse(readFileSync(join(dir, 'data', 'gateway.lock'), 'utf8'))).toMatchObject({ pid: next.pid });
  });
});
