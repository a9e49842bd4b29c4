/**
 * A database engine (prometheus, victoria-metrics, influxd) run by a test: a child process on a
 * loopback port with its data in a temp folder, ready when an HTTP URL answers, stoppable (SIGTERM
 * or SIGKILL) and startable again on the same port and data, removed afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EngineProcess {
  /** the temp folder holding the engine's data (kept across stop/start) */
  dir: string;
  start(): Promise<void>;
  /** SIGKILL when `hard` (no flush, as a crash) */
  stop(hard?: boolean): Promise<void>;
  dispose(): Promise<void>;
  /** what the engine printed, for failure messages */
  log(): string;
}

export interface EngineSpec {
  name: string;
  command: string;
  /** the arguments; called at each start (a config may change between restarts) */
  args: (dir: string) => string[];
  /** answers 2xx once the engine takes writes */
  readyUrl: string;
  readyTimeoutMs?: number;
}

export function engineProcess(spec: EngineSpec): EngineProcess {
  const dir = mkdtempSync(join(tmpdir(), `${spec.name}-`));
  let child: ChildProcess | undefined;
  let output = '';

  async function waitReady(proc: ChildProcess): Promise<void> {
    const until = Date.now() + (spec.readyTimeoutMs ?? 20_000);
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${spec.name} exited before it was ready:\n${output.slice(-3000)}`);
      try {
        const res = await fetch(spec.readyUrl, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > until) throw new Error(`${spec.name} not ready at ${spec.readyUrl}:\n${output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const start = async () => {
    if (child) return;
    const proc = spawn(spec.command, spec.args(dir), { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-50_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    try {
      await waitReady(proc);
    } catch (err) {
      proc.kill('SIGKILL');
      throw err;
    }
  };

  const stop = async (hard = false) => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    await new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    });
  };

  return {
    dir,
    start,
    stop,
    async dispose() {
      await stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => output,
  };
}
