/**
 * The V8 heap of a benchmark's child process, asked from outside: the child is started with
 * heapProbeFlag() (a preloaded module); on SIGUSR2 it prints one line `heap-probe {json}` with
 * process.memoryUsage(), on SIGWINCH the same after a full GC (SIGUSR1 belongs to the inspector).
 * A plain probe never disturbs the heap it measures. No change to the gateway itself.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchChild } from './child-group.js';

/** The preloaded module's source: plain JS, written once per benchmark process. */
const PROBE_SOURCE = `
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
const report = () => {
  const m = process.memoryUsage();
  process.stdout.write('heap-probe ' + JSON.stringify({ heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external }) + '\\n');
};
process.on('SIGUSR2', report);
process.on('SIGWINCH', () => {
  setFlagsFromString('--expose-gc');
  runInNewContext('gc')();
  report();
});
`;

let probeFile: string | undefined;

/** The node flag that preloads the probe (put it before the script). */
export function heapProbeFlag(): string {
  if (!probeFile) {
    probeFile = join(tmpdir(), `bench-heap-probe-${process.pid}.mjs`);
    writeFileSync(probeFile, PROBE_SOURCE);
  }
  return `--import=${probeFile}`;
}

export interface HeapUse {
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
}

/** Asks a child started with heapProbeFlag() for its heap; `fullGc` first collects everything collectable. */
export async function heapOf(child: BenchChild, timeoutMs = 5000, fullGc = false): Promise<HeapUse> {
  const answer = child.waitFor((line) => {
    if (!line.startsWith('heap-probe ')) return undefined;
    const m = JSON.parse(line.slice('heap-probe '.length)) as { heapUsed: number; heapTotal: number; external: number };
    return { heapUsedMB: m.heapUsed / 1e6, heapTotalMB: m.heapTotal / 1e6, externalMB: m.external / 1e6 };
  }, timeoutMs);
  // one signal each: two sent together arrive lowest number first (SIGUSR2 before SIGWINCH)
  child.process.kill(fullGc ? 'SIGWINCH' : 'SIGUSR2');
  return answer;
}
