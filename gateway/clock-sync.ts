/**
 * Whether the system says its wall clock is synchronised (clock.requireSync). A Pi without a
 * real-time clock boots at an old time and is corrected later; samples taken before that carry
 * wrong timestamps, so they are marked `uncertain` with reason `clock` and the EMS can tell.
 *
 * `auto` asks `timedatectl show -p NTP -p NTPSynchronized` (systemd; it reads the kernel's
 * synchronised flag, so it holds for timesyncd, chrony and ntpd alike). The clock counts as NOT
 * synchronised only when a time service is enabled (NTP=yes) and the kernel says it has not
 * synchronised yet (NTPSynchronized=no). Anything else — no systemd, no timedatectl, no time
 * service, an error — is `unknown`, and unknown never marks a sample: a CI box or a container
 * without time sync is not flagged wrongly. `off` never asks and never marks.
 */
import { execFile } from 'node:child_process';
import type { Sample } from '../core/types.js';

export type ClockSyncMode = 'auto' | 'off';
export type ClockSyncState = 'synced' | 'unsynced' | 'unknown';

/** Runs timedatectl and returns its stdout, or undefined when it cannot answer. */
export type SyncQuery = () => Promise<string | undefined>;

export interface ClockSyncProbe {
  state(): ClockSyncState;
  /** asks the system again (the monitor calls this every `refreshMs`) */
  refresh(): Promise<ClockSyncState>;
}

export const timedatectlQuery: SyncQuery = () =>
  new Promise((resolve) => {
    execFile('timedatectl', ['show', '-p', 'NTP', '-p', 'NTPSynchronized'], { timeout: 2000 }, (err, stdout) => resolve(err ? undefined : stdout));
  });

/** `NTP=yes\nNTPSynchronized=no` → unsynced; see the header for the rule. */
export function parseTimedatectl(out: string | undefined): ClockSyncState {
  if (out === undefined) return 'unknown';
  const value = (key: string) => new RegExp(`^${key}=(\\w+)$`, 'm').exec(out)?.[1];
  const synchronized = value('NTPSynchronized');
  if (synchronized === 'yes') return 'synced';
  if (synchronized === 'no' && value('NTP') === 'yes') return 'unsynced';
  return 'unknown';
}

export function createClockSyncProbe(mode: ClockSyncMode, query: SyncQuery = timedatectlQuery): ClockSyncProbe {
  let current: ClockSyncState = 'unknown';
  return {
    state: () => current,
    async refresh() {
      if (mode === 'off') return current;
      try {
        current = parseTimedatectl(await query());
      } catch {
        current = 'unknown';
      }
      return current;
    },
  };
}

/**
 * Marks good samples `uncertain` (reason `clock`) while the clock is known to be unsynchronised:
 * the value is fine, its timestamp is not. Bad samples keep their own reason.
 */
export function markClockUncertain(samples: Sample[], state: ClockSyncState): Sample[] {
  if (state !== 'unsynced') return samples;
  return samples.map((s) => (s.quality === 'good' ? { ...s, quality: 'uncertain', reason: 'clock' } : s));
}
