/**
 * The shipped demo config run as `gateway demo` on free ports and a temporary data folder, with an
 * API token of the role a test needs (made beside the running gateway, as an integrator would).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runCli, spawnCli, stopCli, waitFor } from './cli.js';
import { freePort } from './free-port.js';

export interface DemoCopy {
  dir: string;
  configFile: string;
  httpPort: number;
  controlPort: number;
  /** the data folder (gateway.db and the others) */
  dataDir: string;
  /** `Authorization` header of a token with the asked role */
  headers: Record<string, string>;
  output(): string;
  stop(): Promise<void>;
}

export interface DemoProcess {
  configFile: string;
  httpPort: number;
  controlPort: number;
  /** the data folder (gateway.db and the others) */
  dataDir: string;
  child: ReturnType<typeof spawnCli>;
}

export interface DemoProcessOptions {
  /** changes to the shipped config text, after the ports and the data folder are moved */
  edit?: (text: string) => string;
  /** runs after the config is written, before the demo starts (e.g. seeding history into dataDir) */
  beforeStart?: (dataDir: string) => void;
  /** how long the demo may take to answer health (default 60 s) */
  timeoutMs?: number;
}

/**
 * Writes the shipped demo config into `dir`, moved to free ports and `dir`/data, starts `gateway
 * demo` on it and waits until its health answers. A failed start stops the demo and throws with
 * its output.
 */
export async function startDemoProcess(dir: string, options: DemoProcessOptions = {}): Promise<DemoProcess> {
  const httpPort = await freePort();
  const controlPort = await freePort();
  const dataDir = join(dir, 'data');
  let text = readFileSync(join(REPO_ROOT, 'config', 'demo.yaml'), 'utf8');
  for (const fixed of new Set(text.match(/\b150\d\d\b/g))) text = text.replaceAll(fixed, String(await freePort()));
  text = text.replace('dataDir: ../data/demo', `dataDir: ${dataDir}`).replace('port: 8080', `port: ${httpPort}`);
  if (options.edit) text = options.edit(text);
  const configFile = join(dir, 'demo.yaml');
  writeFileSync(configFile, text);
  options.beforeStart?.(dataDir);
  const child = spawnCli(['demo', '--config', configFile, '--control-port', String(controlPort)]);
  try {
    await waitFor(async () => ((await fetch(`http://127.0.0.1:${httpPort}/api/v1/health`)).ok ? true : undefined), options.timeoutMs ?? 60_000, 'the demo gateway');
  } catch (err) {
    const output = child.output();
    await stopCli(child);
    throw new Error(`${(err as Error).message}\n--- demo output ---\n${output}`);
  }
  return { configFile, httpPort, controlPort, dataDir, child };
}

export async function startDemoCopy(prefix: string, role: 'viewer' | 'operator' | 'admin'): Promise<DemoCopy> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let demo: DemoProcess;
  try {
    demo = await startDemoProcess(dir);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { configFile, httpPort, controlPort, dataDir, child } = demo;
  const stop = async () => {
    await stopCli(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // the demo config's SNMP community comes from the environment (`gateway demo` sets its own)
    const made = runCli(['token', 'create', '--name', `${prefix}${role}`, '--role', role, '--config', configFile], { GATEWAY_DEMO_SNMP_COMMUNITY: 'demo-copy' });
    if (made.code !== 0) throw new Error(`token create failed: ${made.stderr}`);
    const headers = { authorization: `Bearer ${made.stdout.trim()}` };
    await waitFor(
      async () => {
        const devices = (await (await fetch(`http://127.0.0.1:${httpPort}/api/v1/devices`, { headers })).json()) as Array<{ status: string }>;
        return devices.every((d) => d.status === 'up') ? true : undefined;
      },
      60_000,
      'every demo device up',
    );
    return { dir, configFile, httpPort, controlPort, dataDir, headers, output: () => child.output(), stop };
  } catch (err) {
    const output = child.output();
    await stop();
    throw new Error(`${(err as Error).message}\n--- demo output ---\n${output}`);
  }
}
