/** A virtual serial cable: two pseudo-terminals joined by socat, for Modbus RTU tests. */
import { spawn } from 'node:child_process';
import { stopChild, waitForLine } from './modbus-peer-process.js';

export interface PtyPair {
  /** one end (give it to the server) */
  a: string;
  /** the other end (give it to the driver) */
  b: string;
  stop(): Promise<void>;
}

export async function startPtyPair(): Promise<PtyPair> {
  const child = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const paths: string[] = [];
  // socat -d -d announces each end as "... N PTY is /dev/pts/N"
  await waitForLine(
    child,
    child.stderr,
    (line) => {
      const m = /PTY is (\S+)/.exec(line);
      if (m) paths.push(m[1] as string);
      return paths.length === 2 ? true : undefined;
    },
    5000,
    'socat',
  );
  child.stderr.resume();
  return { a: paths[0] as string, b: paths[1] as string, stop: () => stopChild(child) };
}
