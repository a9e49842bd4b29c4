/**
 * A running `gateway run` whose wall clock is stepped under it (libfaketime, with the monotonic
 * clock left alone), as a Pi without a real-time clock meets NTP: back 300 s, then forward 40 days.
 * Polling goes on (new seqs keep coming; it used to stop for good after a step back), each step
 * is stored as a `clock.stepped` event and shown in health, uptime stays sane, and the retention
 * pass after the forward step deletes none of this run's readings (it used to delete all of them).
 * A stand-in `timedatectl` on the PATH says the clock is not synchronised at first: samples are
 * stored `uncertain` (reason `clock`) until it says it is.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSiteConfig } from '../../config/index.js';
import { type SimulatedSite, startSimulatedSite } from '../../drivers/modbus/simulator/index.js';
import type { StoredEvent } from '../../gateway/store/types.js';
import { runCli, spawnCli, stopCli, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { peersAvailable } from '../helpers/peers.js';

const DAY_S = 86_400;

/** Debian puts the library under /usr/lib/<triplet>/faketime/. */
function libfaketime(): string | undefined {
  const dirs = existsSync('/usr/lib') ? readdirSync('/usr/lib').filter((d) => d.endsWith('-linux-gnu')) : [];
  return ['/usr/lib/faketime', ...dirs.map((d) => `/usr/lib/${d}/faketime`)].map((d) => join(d, 'libfaketime.so.1')).find((f) => existsSync(f));
}

interface Health {
  status: string;
  uptimeS: number;
  conditions: Array<{ id: string; reason: string }>;
  devices: { up: number };
  store: { lastReadingSeq: number; readingCount: number; droppedByRetention: number };
  clock: { synchronised: string; steps: number; lastStep: { from: number; to: number; stepMs: number } | null };
}

describe.runIf(peersAvailable('faketime'))('wall-clock steps under a running gateway (libfaketime)', () => {
  let dir: string;
  let port: number;
  let site: SimulatedSite;
  let child: ReturnType<typeof spawnCli> | undefined;
  let token: string;
  let rcFile: string;
  let syncFile: string;
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  const health = () => api<Health>('/api/v1/health');
  const clockEvents = async () => (await api<{ items: StoredEvent[] }>('/api/v1/events?after=0&limit=1000')).items.filter((e) => e.type === 'clock.stepped');
  /** the faked offset from the real time, in seconds (libfaketime re-reads the file on every call) */
  const setOffset = (seconds: number) => writeFileSync(rcFile, `${seconds >= 0 ? '+' : ''}${seconds}\n`);
  /** waits until the seq has moved on by `n` readings: polling is alive */
  const newSeqs = async (n: number) => {
    const from = (await health()).store.lastReadingSeq;
    return waitFor(async () => ((await health()).store.lastReadingSeq >= from + n ? true : undefined), 10_000, `${n} new readings after seq ${from}`);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-clock-step-'));
    port = await freePort();
    rcFile = join(dir, 'faketime.rc');
    setOffset(0);
    // what `timedatectl show -p NTP -p NTPSynchronized` answers on a Pi before NTP got through
    syncFile = join(dir, 'synchronized');
    writeFileSync(syncFile, 'no');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'timedatectl'), `#!/bin/sh\necho NTP=yes\necho NTPSynchronized=$(cat '${syncFile}')\n`);
    chmodSync(join(bin, 'timedatectl'), 0o755);
    const file = join(dir, 'site.yaml');
    writeFileSync(
      file,
      [
        'gateway: { id: clock-gw, dataDir: ./data }',
        `http: { host: 127.0.0.1, port: ${port} }`,
        // one day of age retention: a 40-day step makes every reading look old
        'storage: { commitIntervalMs: 100, synchronous: normal, retention: { maxAgeDays: 1, maxSizeMB: 0 } }',
        'clock: { requireSync: auto }',
        'devices:',
        `  - { id: ups1, kind: ups, driver: modbus, profile: ups-generic, pollIntervalMs: 200, connection: { host: 127.0.0.1, port: ${await freePort()} } }`,
        '',
      ].join('\n'),
    );
    site = await startSimulatedSite(loadSiteConfig(file).devices.filter((d) => d.driver === 'modbus'));
    const made = runCli(['token', 'create', '--config', file, '--name', 'clock-e2e', '--role', 'viewer']);
    expect(made.code, made.stderr).toBe(0);
    token = made.stdout.trim();
    const preload = libfaketime();
    if (!preload) throw new Error('faketime is installed but libfaketime.so.1 was not found under /usr/lib');
    child = spawnCli(['run', '--config', file], {
      LD_PRELOAD: preload,
      FAKETIME_TIMESTAMP_FILE: rcFile,
      FAKETIME_NO_CACHE: '1',
      // the whole point: only the wall clock steps
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
      PATH: `${bin}:${process.env.PATH}`,
    });
    await waitFor(async () => ((await health()).devices.up === 1 ? true : undefined), 45_000, 'the gateway with ups1 up').catch((err: Error) => {
      throw new Error(`${err.message}\n--- gateway output ---\n${child!.output()}`);
    });
  }, 90_000);

  afterAll(async () => {
    await stopCli(child);
    await site?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps polling after a step back of 300 s, records it and shows it in health', { timeout: 30_000 }, async () => {
    await newSeqs(10);
    // not synchronised yet: values are stored, their timestamps flagged
    expect((await health()).clock.synchronised).toBe('unsynced');
    const points = await api<Array<{ quality: string; reason: string | null }>>('/api/v1/points?device=ups1');
    expect(points.length).toBeGreaterThan(0);
    for (const p of points) expect(p).toMatchObject({ quality: 'uncertain', reason: 'clock' });
    const before = Date.now();
    setOffset(-300);
    const step = await waitFor(async () => (await clockEvents())[0], 10_000, 'the clock.stepped event');
    expect(step.data.stepMs).toBeLessThan(-298_000);
    expect(step.data.stepMs).toBeGreaterThan(-302_000);
    expect(step.data.from).toBeGreaterThanOrEqual(before - 1000);
    expect(step.data.to).toBe(step.ts);
    // polling continues: it used to stall until the wall clock caught up again
    await newSeqs(10);
    const h = await health();
    expect(h.devices.up).toBe(1);
    expect(h.status).toBe('degraded');
    expect(h.conditions.map((c) => c.id)).toContain('clock');
    expect(h.conditions.find((c) => c.id === 'clock')!.reason).toMatch(/stepped back 5 min/);
    expect(h.clock).toMatchObject({ steps: 1, lastStep: step.data });
    expect(h.uptimeS).toBeGreaterThanOrEqual(0);
    expect(h.uptimeS).toBeLessThan(120);
  });

  it('keeps polling after a step forward of 40 days, and the next retention pass keeps this run’s readings', { timeout: 150_000 }, async () => {
    writeFileSync(syncFile, 'yes');
    setOffset(40 * DAY_S);
    await waitFor(async () => ((await clockEvents()).length === 2 ? true : undefined), 10_000, 'the second clock.stepped event');
    const [, forward] = await clockEvents();
    expect(forward!.data.stepMs).toBeGreaterThan((40 * DAY_S + 298) * 1000);
    await newSeqs(10);
    const after = await health();
    expect(after.clock.steps).toBe(2);
    expect(after.uptimeS).toBeLessThan(120);
    // retention passes run every minute from the store's opening (just before `started`): wait for the next one
    const seqAtStep = after.store.lastReadingSeq;
    await new Promise((r) => setTimeout(r, 60_000 - ((after.uptimeS * 1000) % 60_000) + 5_000));
    const later = await health();
    expect(later.store.droppedByRetention).toBe(0);
    expect(later.store.readingCount).toBeGreaterThanOrEqual(seqAtStep);
    expect(later.store.lastReadingSeq).toBeGreaterThan(seqAtStep);
    expect((await api<{ items: StoredEvent[] }>('/api/v1/events?after=0&limit=1000')).items.filter((e) => e.type === 'retention.dropped')).toEqual([]);
    expect(child!.output()).toContain('the wall clock stepped');
    // synchronised now (asked again every 30 s): new samples are good again
    expect(later.clock.synchronised).toBe('synced');
    const points = await api<Array<{ quality: string }>>('/api/v1/points?device=ups1');
    for (const p of points) expect(p.quality).toBe('good');
    expect(child!.output()).not.toMatch(/\n\s+at /);
  });
});
