/**
 * The product as a user runs it: `gateway simulate|run` (node with the flags of its `#!` line), each in its own
 * process, so their CPU and memory are measured apart from the benchmark's own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { gatewayNodeFlags } from '../helpers/node-flags.js';
import type { BenchChild, ChildGroup } from './child-group.js';

/** The folder holding package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The compiled CLI; the benchmarks measure the build, not the TypeScript sources. */
export function builtCli(root = packageRoot()): string {
  const cli = join(root, 'dist', 'app', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  return cli;
}

function logMessage(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return (JSON.parse(line) as { msg?: string }).msg;
  } catch {
    return undefined;
  }
}

/** `gateway simulate`: resolves once every endpoint listens. */
export async function startSimulator(
  children: ChildGroup,
  cli: string,
  configFile: string,
  controlPort: number,
  timeoutMs = 30_000,
): Promise<BenchChild> {
  const child = children.start('simulator', process.execPath, [...gatewayNodeFlags(), cli, 'simulate', '--config', configFile, '--control-port', String(controlPort)], {
    cwd: packageRoot(),
  });
  // The simulator logs this after every Modbus endpoint is listening.
  await child.waitFor((line) => (logMessage(line) === 'scenario control listening' ? true : undefined), timeoutMs);
  return child;
}

/** `gateway run`; readiness is up to the caller (see waitForDevicesUp). */
export function startGatewayProcess(children: ChildGroup, cli: string, configFile: string): BenchChild {
  return children.start('gateway', process.execPath, [...gatewayNodeFlags(), cli, 'run', '--config', configFile], { cwd: packageRoot() });
}

/** The parts of GET /api/v1/health the benchmarks read. */
export interface Health {
  devices: { total: number; up: number; degraded: number; down: number; connecting: number };
  store: { lastReadingSeq: number; pending: number; commits: number; commitErrors: number };
}

/**
 * An API token for the full health view (anonymously it shows status, version and device counts
 * only), made with the CLI in the gateway's data folder before the gateway starts.
 */
export function createHealthToken(cli: string, configFile: string): string {
  const name = `bench-${process.pid}-${Date.now()}`;
  const res = spawnSync(process.execPath, [...gatewayNodeFlags(), cli, 'token', 'create', '--name', name, '--role', 'viewer', '--config', configFile], {
    cwd: packageRoot(),
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`gateway token create failed: ${res.stderr}`);
  return res.stdout.trim();
}

/** GET /api/v1/health; `store` needs `token` (createHealthToken), device counts do not. */
export async function fetchHealth(httpPort: number, token?: string): Promise<Health> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/health`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (!res.ok) throw new Error(`GET /api/v1/health: HTTP ${res.status}`);
  return (await res.json()) as Health;
}

/** Polls health until every device is up; rejects when the gateway exits or time runs out. */
export async function waitForDevicesUp(gateway: BenchChild, httpPort: number, devices: number, timeoutMs: number): Promise<Health> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (gateway.process.exitCode !== null || gateway.process.signalCode !== null) {
      throw new Error(`the gateway exited during warm-up:\n${gateway.output()}`);
    }
    try {
      const health = await fetchHealth(httpPort);
      if (health.devices.up === devices) return health;
      last = JSON.stringify(health.devices);
    } catch (err) {
      last = String(err);
    }
    await sleep(250);
  }
  throw new Error(`not all ${devices} devices were up within ${timeoutMs} ms (last: ${last}):\n${gateway.output()}`);
}
