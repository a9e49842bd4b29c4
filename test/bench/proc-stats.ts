/** CPU time and memory of a process, read from Linux /proc (the benchmarks run on Linux only). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second (USER_HZ), the unit of utime and stime. */
export function clockTicksPerSecond(): number {
  try {
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(hz) && hz > 0) return hz;
  } catch {}
  return 100;
}

/** utime + stime of `pid` in clock ticks. */
export function cpuTicks(pid: number): number {
  return parseCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** utime + stime from the text of /proc/<pid>/stat. */
export function parseCpuTicks(stat: string): number {
  // The command name (field 2) is in parentheses and may hold spaces or ')'; count from the last one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unexpected /proc stat line: ${stat.slice(0, 200)}`);
  return utime + stime;
}

export interface MemoryUse {
  /** resident set size now, MB (10^6 bytes) */
  rssMB: number;
  /** peak resident set size, MB */
  hwmMB: number;
}

export function memoryOf(pid: number): MemoryUse {
  return parseMemory(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

/** VmRSS and VmHWM from the text of /proc/<pid>/status. */
export function parseMemory(status: string): MemoryUse {
  const kib = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    if (!m) throw new Error(`no ${key} in /proc status`);
    return (Number(m[1]) * 1024) / 1e6;
  };
  return { rssMB: kib('VmRSS'), hwmMB: kib('VmHWM') };
}

export interface CpuMeter {
  /** CPU used since the meter started, as a percentage of one core over the wall time */
  percentOfCore(): number;
  elapsedMs(): number;
}

/** Starts measuring the CPU `pid` uses from now on. */
export function startCpuMeter(pid: number, hz = clockTicksPerSecond()): CpuMeter {
  const ticks0 = cpuTicks(pid);
  const t0 = performance.now();
  return {
    percentOfCore() {
      const seconds = (performance.now() - t0) / 1000;
      return ((cpuTicks(pid) - ticks0) / hz / seconds) * 100;
    },
    elapsedMs: () => performance.now() - t0,
  };
}
