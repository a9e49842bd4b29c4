import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createChildGroup } from './child-group.js';
import { freePorts } from './free-ports.js';
import { memoryOf, parseCpuTicks, parseMemory, startCpuMeter } from './proc-stats.js';

const isLinux = process.platform === 'linux';

/** A /proc/<pid>/stat line with utime 1234 and stime 56 (fields 14 and 15). */
const statLine = (comm: string) => `4242 (${comm}) S 1 4242 4242 0 -1 4194560 900 0 0 0 1234 56 0 0 20 0 11 0 500 1000 2000`;

describe('proc-stats', () => {
  it.each([
    { comm: 'node' },
    { comm: 'node with spaces' },
    { comm: 'evil) R 1 2 3' },
  ])('reads utime + stime whatever the command name ($comm)', ({ comm }) => {
    expect(parseCpuTicks(statLine(comm))).toBe(1290);
  });

  it('reads VmRSS and VmHWM in MB', () => {
    const status = 'Name:\tnode\nVmHWM:\t  200000 kB\nVmRSS:\t  100000 kB\nThreads:\t11\n';
    expect(parseMemory(status)).toEqual({ rssMB: 102.4, hwmMB: 204.8 });
    expect(() => parseMemory('Name:\tnode\n')).toThrow(/VmRSS/);
  });

  it.runIf(isLinux)('agrees with node about its own memory', () => {
    const ours = memoryOf(process.pid).rssMB;
    const node = process.memoryUsage().rss / 1e6;
    expect(Math.abs(ours - node) / node).toBeLessThan(0.2);
  });

  it.runIf(isLinux)('tells a busy process from an idle one', async () => {
    const children = createChildGroup();
    try {
      const busy = children.start('busy', process.execPath, ['-e', 'for (;;) {}']);
      const idle = children.start('idle', process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
      await sleep(300);
      const busyMeter = startCpuMeter(busy.pid);
      const idleMeter = startCpuMeter(idle.pid);
      await sleep(1000);
      expect(busyMeter.percentOfCore()).toBeGreaterThan(25);
      expect(idleMeter.percentOfCore()).toBeLessThan(10);
    } finally {
      await children.dispose();
    }
  });
});

describe('child group', () => {
  it('stops every child, SIGKILLing one that ignores SIGTERM', async () => {
    const children = createChildGroup();
    const polite = children.start('polite', process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    const stubborn = children.start('stubborn', process.execPath, [
      '-e',
      "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)",
    ]);
    await stubborn.waitFor((line) => (line === 'ready' ? true : undefined), 5000);
    const t0 = performance.now();
    await Promise.all([polite.stop(200), stubborn.stop(200)]);
    expect(polite.process.signalCode).toBe('SIGTERM');
    expect(stubborn.process.signalCode).toBe('SIGKILL');
    expect(performance.now() - t0).toBeLessThan(2000);
    await children.dispose();
  });

  it('stopAll leaves nothing running', async () => {
    const children = createChildGroup();
    const started = [1, 2, 3].map((i) => children.start(`c${i}`, process.execPath, ['-e', 'setInterval(() => {}, 1000)']));
    await children.stopAll();
    for (const c of started) expect(c.process.exitCode !== null || c.process.signalCode !== null).toBe(true);
    await children.dispose();
  });

  it('waitFor fails with the output when the child exits before it is ready', async () => {
    const children = createChildGroup();
    const child = children.start('crasher', process.execPath, ['-e', "console.error('bad config'); process.exit(3)"]);
    await expect(child.waitFor((line) => (line === 'ready' ? true : undefined), 5000)).rejects.toThrow(/crasher exited \(3\)[\s\S]*bad config/);
    await children.dispose();
  });
});

describe('freePorts', () => {
  it('hands out distinct ports that can be bound', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const port of ports) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
