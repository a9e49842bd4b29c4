/**
 * The demo as a newcomer runs it: `gateway demo` starts the simulated site and the gateway; the API
 * shows live values from every device; a scenario triggered at run time shows up within seconds.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, spawnCli, stopCli, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';

interface PointRow {
  id: string;
  value: unknown;
  quality: string | null;
  ts: number | null;
}

describe('demo site', () => {
  let dir: string;
  let httpPort: number;
  let controlPort: number;
  let child: ReturnType<typeof spawnCli>;
  // The API needs a login: the viewer account the demo prints at start.
  let cookie = '';
  const login = async () => {
    const viewer = /^\s+viewer\s+user: (\S+)\s+password: (\S+)$/m.exec(child.output());
    if (!viewer) throw new Error('the demo has not printed its accounts yet');
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: viewer[1], password: viewer[2] }),
    });
    if (!res.ok) throw new Error(`login: HTTP ${res.status}`);
    cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
  };
  const api = async <T>(path: string): Promise<T> => {
    if (!cookie) await login();
    const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, { headers: { cookie } });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  const point = async (id: string) => (await api<PointRow[]>('/api/v1/points')).find((p) => p.id === id)!;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-demo-'));
    httpPort = await freePort();
    controlPort = await freePort();
    // The demo config as shipped, moved to free ports and a temporary data folder.
    let text = readFileSync(join(REPO_ROOT, 'config', 'demo.yaml'), 'utf8');
    for (const fixed of new Set(text.match(/\b150\d\d\b/g))) text = text.replaceAll(fixed, String(await freePort()));
    text = text.replace('dataDir: ../data/demo', `dataDir: ${join(dir, 'data')}`).replace('port: 8080', `port: ${httpPort}`);
    writeFileSync(join(dir, 'demo.yaml'), text);
    child = spawnCli(['demo', '--config', join(dir, 'demo.yaml'), '--control-port', String(controlPort)]);
    await waitFor(
      async () => {
        const devices = await api<Array<{ status: string }>>('/api/v1/devices');
        const points = await api<PointRow[]>('/api/v1/points');
        return devices.every((d) => d.status === 'up') && points.every((p) => p.ts !== null) ? devices : undefined;
      },
      // every driver, the simulators and the page start in one process: slow on a loaded machine
      60_000,
      'every demo device up and every point committed',
    ).catch((err) => {
      throw new Error(`${err.message}\n--- demo output ---\n${child.output()}`);
    });
  }, 90_000);

  afterAll(async () => {
    await stopCli(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows plausible live values from every device kind', async () => {
    const points = await api<PointRow[]>('/api/v1/points');
    const value = (id: string) => points.find((p) => p.id === id)?.value as number;
    expect(value('ups1.input_voltage')).toBeGreaterThan(200);
    expect(value('ups1.input_voltage')).toBeLessThan(260);
    expect(points.find((p) => p.id === 'ups1.on_battery')?.value).toBe(false);
    expect(points.find((p) => p.id === 'ups1.mode')?.value).toBe('online');
    expect(value('pdu-a2.total_power')).toBeGreaterThan(0);
    expect(value('crac1.supply_temp')).toBeGreaterThan(15);
    expect(value('crac1.supply_temp')).toBeLessThan(25);
    // crac2 overrides the profile's humidity scale; the simulator encodes with the same map.
    expect(value('crac2.humidity')).toBeGreaterThan(20);
    expect(value('crac2.humidity')).toBeLessThan(80);
    const bad = points.filter((p) => p.quality !== 'good');
    expect(bad).toEqual([]);
  });

  it('keeps the values moving (live polling into the store)', async () => {
    const first = await point('ups1.output_load');
    const later = await waitFor(async () => {
      const p = await point('ups1.output_load');
      return p.ts! > first.ts! ? p : undefined;
    }, 5000, 'a newer sample');
    expect(later.ts).toBeGreaterThan(first.ts!);
    // The demo stores by exception (storage.byException): a steady point may have one stored
    // reading a minute, so the store is judged by its committed seq, which keeps growing.
    const history = await api<{ items: unknown[] }>(`/api/v1/points/ups1.output_load/history?from=${Date.now() - 600_000}`);
    expect(history.items.length).toBeGreaterThanOrEqual(1);
    const seq = async () => (await api<{ store: { lastReadingSeq: number } }>('/api/v1/health')).store.lastReadingSeq;
    const seq0 = await seq();
    await waitFor(async () => ((await seq()) > seq0 ? true : undefined), 5000, 'newer stored readings');
  });

  it('a power failure triggered at run time puts the UPS on battery within seconds', async () => {
    const res = runCli(['scenario', 'power-failure', 'on', '--control', `http://127.0.0.1:${controlPort}`]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const started = Date.now();
    await waitFor(async () => ((await point('ups1.on_battery')).value === true ? true : undefined), 5000, 'on_battery');
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await point('ups1.input_voltage')).value).toBe(0);
    expect((await point('ups1.mode')).value).toBe('battery');
    runCli(['scenario', 'power-failure', 'off', '--control', `http://127.0.0.1:${controlPort}`]);
    await waitFor(async () => ((await point('ups1.on_battery')).value === false ? true : undefined), 5000, 'back on line');
  });
});
