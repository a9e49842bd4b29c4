/**
 * One gateway per data folder. Two processes on the same gateway.db would both sample, both raise
 * alarms and both push the same seqs upstream; the second one used to get all the way through
 * start-up and only fail when the HTTP port clashed (or not at all, on another port).
 *
 * The lock is a file, `gateway.lock`, created atomically (written aside, then hard-linked into
 * place, which fails if it exists) and holding the owner's pid and the kernel's start time of that
 * process. A lock left by a process that is gone (kill -9, power cut) is stale: its pid is not
 * running, or now belongs to another process (a different start time), and it is taken over.
 * Other commands (`gateway user add`, `gateway token`) open auth.db only and never take the lock.
 */
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../core/errors.js';

export const LOCK_FILE = 'gateway.lock';

export interface DataDirLock {
  readonly file: string;
  /** Removes the lock file if it is still ours; safe to call twice. */
  release(): void;
}

interface Owner {
  pid: number;
  /** /proc/<pid>/stat start time (clock ticks since boot); null where there is no /proc */
  startTime: string | null;
}

/** Thrown when another running gateway holds the folder. */
export class DataDirLockedError extends GatewayError {
  override name = 'DataDirLockedError';
}

export function lockDataDir(dataDir: string): DataDirLock {
  const file = join(dataDir, LOCK_FILE);
  const me: Owner = { pid: process.pid, startTime: startTimeOf(process.pid) };
  const content = `${JSON.stringify(me)}\n`;
  // A few rounds: each lost race or stale lock removed sends us round again.
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(file, content)) {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.removeListener('exit', release);
        try {
          if (readFileSync(file, 'utf8') === content) unlinkSync(file);
        } catch {
          // already gone: nothing to release
        }
      };
      // An exit without stop() (an uncaught error) still frees the folder.
      process.on('exit', release);
      return { file, release };
    }
    const raw = readOrNull(file);
    if (raw === null) continue; // removed meanwhile: try again
    const owner = parseOwner(raw);
    if (owner && isRunning(owner)) {
      throw new DataDirLockedError(
        `the data folder ${dataDir} is in use by another gateway (pid ${owner.pid}); stop it first, or give this one another gateway.dataDir`,
      );
    }
    // Stale (its process is gone) or unreadable: take it over, unless it changed since we read it.
    // An unreadable lock is only taken over once it has had time to be written.
    if (!owner && attempt === 0) {
      sleepMs(50);
      continue;
    }
    if (readOrNull(file) === raw) {
      try {
        unlinkSync(file);
      } catch {
        // someone else removed it first
      }
    }
  }
  throw new DataDirLockedError(`cannot take the lock ${file}: another gateway keeps starting on the same data folder`);
}

function tryCreate(file: string, content: string): boolean {
  const aside = `${file}.${process.pid}`;
  writeFileSync(aside, content);
  try {
    linkSync(aside, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new GatewayError(`cannot create the lock file ${file}`, { cause: err });
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      // best effort
    }
  }
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function parseOwner(raw: string): Owner | undefined {
  try {
    const o = JSON.parse(raw) as Partial<Owner>;
    if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid <= 0) return undefined;
    return { pid: o.pid, startTime: typeof o.startTime === 'string' ? o.startTime : null };
  } catch {
    return undefined;
  }
}

function isRunning(owner: Owner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user, so it is running.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // The pid may have been reused since a kill -9: the start time tells.
  if (owner.startTime === null) return true;
  const now = startTimeOf(owner.pid);
  return now === null || now === owner.startTime;
}

/** Field 22 of /proc/<pid>/stat; after the `(comm)` field, which may itself hold spaces. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
