/**
 * Child processes of one benchmark run. Every child is remembered until it exits, and all of
 * them are killed when the run ends, fails or is interrupted: a stray simulator would keep its
 * ports and skew the next run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface BenchChild {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** the last few kB of its stderr and stdout, for error messages */
  output(): string;
  /** Resolves with the first output line `match` accepts; rejects if the child exits first or time runs out. */
  waitFor<T>(match: (line: string) => T | undefined, timeoutMs: number): Promise<T>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface ChildGroup {
  start(name: string, command: string, args: readonly string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): BenchChild;
  /** children started and not yet exited */
  running(): BenchChild[];
  /** Stops every child still running. */
  stopAll(): Promise<void>;
  /** Stops everything and forgets the process-exit hook. */
  dispose(): Promise<void>;
}

const TAIL_CHARS = 4000;

export function createChildGroup(): ChildGroup {
  const running = new Set<BenchChild>();
  // Last resort when the run ends without reaching stopAll (an uncaught error, process.exit):
  // 'exit' handlers must be synchronous, so SIGKILL.
  const onExit = () => {
    for (const child of running) child.process.kill('SIGKILL');
  };
  process.on('exit', onExit);

  const start: ChildGroup['start'] = (name, command, args, options = {}) => {
    const proc = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (proc.pid === undefined) throw new Error(`${name}: could not start ${command}`);
    let tail = '';
    const lineListeners = new Set<(line: string) => void>();
    let pending = '';
    // Both pipes are always drained: a child blocked on a full pipe would look idle to the CPU meter.
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-TAIL_CHARS);
      pending += text;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        for (const listener of lineListeners) listener(line);
        nl = pending.indexOf('\n');
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    const exited = once(proc, 'exit').catch(() => undefined);

    const child: BenchChild = {
      name,
      process: proc,
      pid: proc.pid,
      output: () => tail,
      waitFor(match, timeoutMs) {
        return new Promise((resolve, reject) => {
          const done = (err?: Error, value?: unknown) => {
            clearTimeout(timer);
            lineListeners.delete(onLine);
            proc.off('exit', onChildExit);
            if (err) reject(err);
            else resolve(value as never);
          };
          const onLine = (line: string) => {
            const found = match(line);
            if (found !== undefined) done(undefined, found);
          };
          const onChildExit = (code: number | null, signal: string | null) =>
            done(new Error(`${name} exited (${signal ?? code}) before it was ready:\n${tail}`));
          const timer = setTimeout(() => done(new Error(`${name} was not ready within ${timeoutMs} ms:\n${tail}`)), timeoutMs);
          lineListeners.add(onLine);
          proc.on('exit', onChildExit);
        });
      },
      async stop(graceMs = 3000) {
        if (proc.exitCode === null && proc.signalCode === null) {
          const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
          proc.kill('SIGTERM');
          await exited;
          clearTimeout(timer);
        }
        running.delete(child);
      },
    };
    running.add(child);
    proc.once('exit', () => running.delete(child));
    return child;
  };

  const stopAll = async () => {
    await Promise.all([...running].map((c) => c.stop()));
  };

  return {
    start,
    running: () => [...running],
    stopAll,
    async dispose() {
      await stopAll();
      process.off('exit', onExit);
    },
  };
}
