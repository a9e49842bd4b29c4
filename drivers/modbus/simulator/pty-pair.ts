/**
 * A virtual null-modem cable: two linked pseudo-terminals made by socat, so a simulated RTU bus
 * can sit on one end and the gateway on the other without hardware.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface PtyPair {
  /** the two symlinks, as given */
  readonly a: string;
  readonly b: string;
  close(): Promise<void>;
}

export async function createPtyPair(a: string, b: string, timeoutMs = 5000): Promise<PtyPair> {
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  // socat reports each pty on stderr, but the links are what the user opens: wait for both
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(a) && existsSync(b) && /PTY is[\s\S]*PTY is/.test(stderr)) break;
    const failed = await Promise.race([
      spawnError,
      exited.then(() => new Error(`socat exited: ${stderr.trim() || 'no output'}`)),
      new Promise<undefined>((resolve) => setTimeout(resolve, 20, undefined)),
    ]);
    if (failed) throw new Error(`cannot create pty pair ${a} <-> ${b}: ${failed.message}`, { cause: failed });
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`cannot create pty pair ${a} <-> ${b}: socat gave no ptys within ${timeoutMs} ms`);
    }
  }

  return {
    a,
    b,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      await exited;
    },
  };
}
