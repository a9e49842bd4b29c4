/**
 * Debian's mosquitto as an independent MQTT broker for integration tests: started on a free
 * loopback port with a generated config, stoppable and restartable on the same port. With
 * `persistent`, a graceful restart keeps the sessions and queued QoS 1 messages of clients with
 * clean session off (as a production broker configured for it does).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { waitForPort } from './wait-for-port.js';
import { freePort } from './free-port.js';

export const MOSQUITTO = existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';

export interface MosquittoPeer {
  port: number;
  url: string;
  /** stops the broker (SIGKILL when `hard`: no goodbye to clients) */
  stop(hard?: boolean): Promise<void>;
  /** starts it again on the same port (sessions survive a graceful stop only when `persistent`) */
  start(): Promise<void>;
  /** stops it and removes its files */
  dispose(): Promise<void>;
  /** what mosquitto printed, for failure messages */
  log(): string;
}

export interface MosquittoOptions {
  port?: number;
  /** keep sessions and queued messages on disk across a graceful (SIGTERM) stop */
  persistent?: boolean;
  /** extra lines for mosquitto.conf */
  extraConfig?: string[];
}

function configLines(port: number, dir: string, options: MosquittoOptions): string[] {
  const persistence = options.persistent
    ? [
        // Started as root, mosquitto drops to the `mosquitto` user, which cannot write our temp folder.
        `user ${userInfo().username}`,
        'persistence true',
        `persistence_location ${dir}/`,
        'max_queued_messages 100000',
      ]
    : ['persistence false'];
  return [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...persistence, 'log_dest stderr', 'log_type error', 'log_type warning', ...(options.extraConfig ?? []), ''];
}


export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoPeer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, configLines(port, dir, options).join('\n'));
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    if (child) return;
    const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    proc.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    try {
      await waitForPort('mosquitto', port, 5000, () => proc.exitCode !== null);
    } catch (err) {
      proc.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${output}`);
    }
  };

  const stop = async (hard = false) => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    });
  };

  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    stop,
    start,
    async dispose() {
      await stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => output,
  };
}
