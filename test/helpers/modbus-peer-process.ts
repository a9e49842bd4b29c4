/** Starting and stopping peer processes for tests, without leaving any behind. */
import type { ChildProcess } from 'node:child_process';

/** Resolves with the first line of `stream` that `match` accepts; rejects on exit or timeout. */
export function waitForLine<T>(
  child: ChildProcess,
  stream: NodeJS.ReadableStream,
  match: (line: string) => T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let pending = '';
    let seen = '';
    const timer = setTimeout(() => finish(new Error(`${what} did not start in ${timeoutMs} ms: ${seen}`)), timeoutMs);
    const onData = (chunk: Buffer | string) => {
      pending += chunk.toString();
      seen = (seen + chunk.toString()).slice(-2000);
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        const found = match(line);
        if (found !== undefined) {
          finish(undefined, found);
          return;
        }
        newline = pending.indexOf('\n');
      }
    };
    const onExit = (code: number | null) => finish(new Error(`${what} exited (${code}) before it was ready: ${seen}`));
    const finish = (err?: Error, value?: T) => {
      clearTimeout(timer);
      stream.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(value as T);
    };
    stream.on('data', onData);
    child.on('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL if it lingers; resolves once the process is gone. */
export function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
