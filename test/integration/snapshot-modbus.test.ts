/**
 * Event snapshots end to end (issue 15): a whole gateway (startGateway, bearer tokens) polling an
 * independent Modbus server (pymodbus). The supply temperature is written above its limit through
 * the gateway's control API; the critical alarm raises, and its snapshot holds the samples polled
 * before the raise and those after it, closes with a `snapshot.created` event, and is pulled by the
 * EMS token from the route the event names, as JSON and CSV.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../app/start-gateway.js';
import { loadSiteConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import { openAuthDb } from '../../gateway/auth/index.js';
import { createTokenStore } from '../../gateway/auth/tokens.js';
import type { Snapshot } from '../../gateway/snapshots/types.js';
import { peersAvailable } from '../helpers/peers.js';
import { type PymodbusPeer, startPymodbus } from '../helpers/pymodbus.js';

const RUN = peersAvailable('pymodbus');
const BROWSER = RUN && peersAvailable('chromium');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
type Role = 'viewer' | 'operator' | 'ems';

describe.skipIf(!RUN)('event snapshot of a Modbus alarm through the gateway', () => {
  let dir: string;
  let peer: PymodbusPeer;
  let gateway: RunningGateway;
  let dataDir: string;
  const tokens = {} as Record<Role, string>;

  const call = async (method: string, path: string, role: Role, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${gateway.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return res;
  };
  const json = async <T>(path: string, role: Role = 'viewer') => (await (await call('GET', path, role)).json()) as T;

  async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await check().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    peer = await startPymodbus({ transport: 'tcp' }, {
      1: {
        holding: [
          { address: 0, type: 'uint16', value: 220 },
          { address: 1, type: 'uint16', value: 245 },
        ],
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'gw-snapshot-modbus-'));
    const file = join(dir, 'site.yaml');
    writeFileSync(
      file,
      `gateway: { id: e2e-snapshot, dataDir: ./data }
http: { host: 127.0.0.1, port: 0 }
storage: { commitIntervalMs: 50 }
# a short window so the test sees it close: 1 minute before, 3 s after
snapshots: { severities: [critical], beforeMin: 1, afterMin: 0.05 }
devices:
  - id: crac1
    name: CRAC 1
    kind: hvac
    driver: modbus
    connection: { host: 127.0.0.1, port: ${peer.port}, unitId: 1, timeoutMs: 1000 }
    pollIntervalMs: 200
    points:
      - { key: supply_temp, name: Supply air, table: holding, address: 0, type: uint16, scale: 0.1, unit: "°C", write: { min: 10, max: 40 } }
      - { key: return_temp, name: Return air, table: holding, address: 1, type: uint16, scale: 0.1, unit: "°C" }
alarms:
  - { id: crac1-supply-hi, point: crac1.supply_temp, hi: 27, severity: critical }
`,
    );
    const config = loadSiteConfig(file);
    dataDir = config.gateway.dataDir;
    mkdirSync(dataDir, { recursive: true });
    const authDb = openAuthDb(join(dataDir, 'auth.db'));
    const store = createTokenStore(authDb);
    for (const role of ['viewer', 'operator', 'ems'] as const) tokens[role] = store.create(`e2e-${role}`, role).token;
    authDb.close();
    gateway = await startGateway(config, { logger: silentLogger, version: 'test', firstAdmin: false });
    await gateway.users.add('viewer1', 'correct horse 1', 'viewer');
    await until(async () => ((await json<{ value: unknown }>('/api/v1/points/crac1.supply_temp')).value === 22 ? true : undefined), 'the first poll', 15_000);
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await peer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('freezes the samples from before the raise and after it, and the EMS pulls it', async () => {
    // a few seconds of normal polls first: the "before" part
    await new Promise((r) => setTimeout(r, 2500));
    expect((await call('GET', '/api/v1/alarms/crac1-supply-hi.hi/snapshot', 'viewer')).status).toBe(404);
    const written = await call('POST', '/api/v1/points/crac1.supply_temp/write', 'operator', { value: 29.5 });
    expect(written.status, await written.clone().text()).toBe(200);

    const alarm = await until(async () => {
      const a = await json<{ state: string; raisedAt: number | null }>('/api/v1/alarms/crac1-supply-hi.hi');
      return a.state === 'unack' ? a : undefined;
    }, 'the alarm', 10_000);
    const snap = await until(async () => {
      const res = await call('GET', '/api/v1/alarms/crac1-supply-hi.hi/snapshot', 'ems');
      return res.status === 200 ? ((await res.json()) as Snapshot) : undefined;
    }, 'the snapshot', 10_000);
    expect(snap).toMatchObject({ raisedAt: alarm.raisedAt, from: alarm.raisedAt! - 60_000, to: alarm.raisedAt! + 3000 });
    const supply = snap.series.find((s) => s.pointId === 'crac1.supply_temp')!;
    expect(supply).toMatchObject({ name: 'Supply air', unit: '°C' });
    // polled every 200 ms for 2.5 s before the write: at least 8 samples of 22 °C before the raise
    const before = supply.value.filter((_, i) => supply.ts[i]! < alarm.raisedAt!);
    expect(before.length).toBeGreaterThanOrEqual(8);
    expect(before.slice(0, 8)).toEqual(Array(8).fill(22));
    expect(snap.series.find((s) => s.pointId === 'crac1.return_temp')!.ts.length).toBeGreaterThanOrEqual(8);
    expect(snap.alarms[0]).toMatchObject({ type: 'alarm.raised', id: 'crac1-supply-hi.hi' });

    // the window closes 3 s after the raise (+ 2 s grace, 5 s upkeep): snapshot.created upstream
    const created = await until(async () => {
      const page = await json<{ items: Array<{ type: string; data: Record<string, unknown> }> }>('/api/v1/events?after=0&limit=1000');
      return page.items.find((e) => e.type === 'snapshot.created');
    }, 'snapshot.created', 20_000);
    expect(created.data).toMatchObject({ alarmId: 'crac1-supply-hi.hi', kind: 'alarm', raisedAt: alarm.raisedAt, pull: '/api/v1/alarms/crac1-supply-hi.hi/snapshot' });
    expect(created.data.points).toEqual(['crac1.supply_temp', 'crac1.return_temp']);
    const closed = await json<Snapshot>(created.data.pull as string, 'ems');
    expect(closed.closed).toBe(true);
    const after = closed.series.find((s) => s.pointId === 'crac1.supply_temp')!;
    const afterValues = after.value.filter((_, i) => after.ts[i]! > alarm.raisedAt!);
    // polls after the raise, up to raisedAt + 3 s, were appended as they committed
    expect(afterValues.length).toBeGreaterThanOrEqual(5);
    expect(afterValues.every((v) => v === 29.5)).toBe(true);
    expect(Math.max(...after.ts)).toBeLessThanOrEqual(alarm.raisedAt! + 3000);

    const csv = await call('GET', `${created.data.pull as string}?format=csv`, 'ems');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment;/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines.length).toBe(1 + closed.series.reduce((n, s) => n + s.ts.length, 0));
    expect(lines.some((l) => l.endsWith(',crac1.supply_temp,Supply air,°C,22'))).toBe(true);
    // its own private file beside the store's
    expect(statSync(join(dataDir, 'snapshots.db')).mode & 0o777).toBe(0o600);
  }, 60_000);

  it.runIf(BROWSER)('in a browser: the console links the alarm to its snapshot, drawn with the raise marked', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const problems: string[] = [];
    try {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ko-KR' })).newPage();
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
      });
      const base = `http://127.0.0.1:${gateway.port}`;
      await page.goto(`${base}/login`);
      await page.fill('input[name="user"]', 'viewer1');
      await page.fill('input[name="password"]', 'correct horse 1');
      await page.press('input[name="password"]', 'Enter');
      await page.waitForURL(`${base}/`);
      await page.goto(`${base}/alarms`);
      const link = page.locator('#alarm-rows tr[data-alarm-id="crac1-supply-hi.hi"] a.snapshot-link');
      await link.waitFor({ timeout: 5000 });
      expect(await link.textContent()).toBe('스냅샷');
      await link.click();
      await page.waitForURL(`${base}/snapshots/alarm/crac1-supply-hi.hi`);
      await page.locator('#charts .uplot canvas').first().waitFor({ timeout: 5000 });
      expect(await page.locator('#json-link').textContent()).toBe('JSON 내보내기');
      expect(await page.locator('#snapshot-transitions tr').count()).toBeGreaterThanOrEqual(1);
      // the raise line: near the raise's share of the width, one pixel column red over most of the height
      // (a series line, even a red one, crosses a column in a few pixels only)
      const marked = await page.evaluate(() => {
        const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
        const meta = doc.querySelector('#snapshot-meta') as { dataset: Record<string, string> };
        const canvas = doc.querySelector('#charts .uplot canvas') as { width: number; height: number; getContext(k: string): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
        const from = Number(meta.dataset.from);
        const to = Number(meta.dataset.to);
        const raised = Number(meta.dataset.raisedAt);
        const share = (raised - from) / (to - from);
        const ctx = canvas.getContext('2d');
        const centre = Math.floor(canvas.width * share);
        for (let x = centre - 80; x < centre + 80; x++) {
          const column = ctx.getImageData(x, 0, 1, canvas.height).data;
          let red = 0;
          for (let i = 0; i < column.length; i += 4) if (column[i]! > 150 && column[i + 1]! < 100 && column[i + 2]! < 100) red++;
          if (red > canvas.height * 0.4) return true;
        }
        return false;
      });
      expect(marked).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
