/**
 * One demo start at a time across the test processes of a run. A demo start (five simulators and
 * a gateway under tsx, the OPC UA simulator's keys above all) is mostly CPU: four at once on a
 * 2-core machine each take as long as all four, and may miss their start timeouts. Once up, the
 * demos mostly wait on their simulated physics and run side by side (the 'waiting' project in
 * vitest.config.ts). The gate is a directory made atomically in the OS temp folder, holding the
 * holder's pid, so a holder that died does not block the next start.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GATE = join(tmpdir(), 'gateway-e2e-demo-start.gate');
/** a gate older than this is taken as left behind, whoever holds it */
const STALE_MS = 10 * 60_000;

function isStale(): boolean {
  let pid = Number.NaN;
  try {
    pid = Number(readFileSync(join(GATE, 'pid'), 'utf8'));
  } catch {
    // not written yet (the holder has just made the gate) or just removed: judged by age below
  }
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    }
  }
  try {
    return Date.now() - statSync(GATE).mtimeMs > STALE_MS;
  } catch {
    return false;
  }
}

/** Runs `start` once no other test process is starting a demo; `timeoutMs` bounds the wait for the gate. */
export async function oneStartAtATime<T>(start: () => Promise<T>, timeoutMs = 240_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(GATE);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (isStale()) {
        rmSync(GATE, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > end) throw new Error(`another test process held the demo start gate for ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    writeFileSync(join(GATE, 'pid'), String(process.pid));
    return await start();
  } finally {
    rmSync(GATE, { recursive: true, force: true });
  }
}
