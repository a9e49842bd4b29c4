/**
 * Edge analytics in a real browser (Debian's chromium driven by playwright-core) against
 * `gateway demo` on a data folder seeded with three hours of history, so the baselines are
 * trained at once: the analytics page lists the points as ready, the trend of CRAC-1's supply air
 * draws its learned band, and when the hot-spot scenario heats two racks the overview's rack tile
 * shows "forecast: HI in N min" while no HI alarm is raised yet; the rack's trend then draws the
 * forecast. Screenshots: test-artifacts/analytics-trend.png, analytics-overview.png, analytics-forecast.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, spawnCli, stopCli, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { peersAvailable } from '../helpers/peers.js';
import { seedHistory } from '../helpers/seed-history.js';
import { oneStartAtATime } from '../helpers/start-gate.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const RACKS = ['a01', 'a02', 'a03', 'a04', 'a05', 'a06', 'a07', 'a08'].map((r) => `racks-a.${r}-temperature`);

/** a deterministic noise in [-0.5, 0.5) from a time, so the seeded history looks measured */
const noise = (ts: number, salt: number) => {
  const x = Math.sin(ts / 10_000 + salt * 7.77) * 43758.5453;
  return x - Math.floor(x) - 0.5;
};

interface AlarmView {
  id: string;
  active: boolean;
  state: string;
}

describe.runIf(peersAvailable('chromium'))('browser: analytics on the demo site', () => {
  let dir: string;
  let base: string;
  let controlPort: number;
  let child: ReturnType<typeof spawnCli>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const accounts = new Map<string, string>();
  const problems: string[] = [];
  const scenario = (name: string, on: 'on' | 'off') => runCli(['scenario', name, on, '--control', `http://127.0.0.1:${controlPort}`]);
  const api = async <T>(path: string): Promise<T> => {
    const res = await context.request.get(`${base}${path}`);
    if (!res.ok()) throw new Error(`${path}: HTTP ${res.status()}`);
    return (await res.json()) as T;
  };
  const watch = (p: Page) => {
    p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    p.on('console', (msg) => {
      // A blocked inline script or style shows up here as a CSP violation.
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'gw-browser-analytics-'));
    // ports are picked inside the gate: picked before a long wait, another process may take one
    await oneStartAtATime(async () => {
      const httpPort = await freePort();
      controlPort = await freePort();
      let text = readFileSync(join(REPO_ROOT, 'config', 'demo.yaml'), 'utf8');
      for (const fixed of new Set(text.match(/\b150\d\d\b/g))) text = text.replaceAll(fixed, String(await freePort()));
      const dataDir = join(dir, 'data');
      text = text.replace('dataDir: ../data/demo', `dataDir: ${dataDir}`).replace('port: 8080', `port: ${httpPort}`);
      writeFileSync(join(dir, 'demo.yaml'), text);
      // Before the gateway opens the folder: three hours of the analysed points' readings, so their
      // baselines are fitted at start instead of after minTrainingMinutes of live data.
      seedHistory(
        dataDir,
        [
          { pointId: 'crac1.supply_temp', value: (ts) => 19 + noise(ts, 0) * 0.4 },
          ...RACKS.map((pointId, i) => ({ pointId, value: (ts: number) => 23.5 + noise(ts, i + 1) * 0.4 })),
        ],
        { minutes: 180 },
      );
      base = `http://127.0.0.1:${httpPort}`;
      child = spawnCli(['demo', '--config', join(dir, 'demo.yaml'), '--control-port', String(controlPort)]);
      await waitFor(
        () => {
          for (const m of child.output().matchAll(/^\s+(\w+)\s+user: (\S+)\s+password: (\S+)$/gm)) accounts.set(m[2]!, m[3]!);
          return accounts.has('viewer') ? true : undefined;
        },
        // the demo starts several simulators (OPC UA is the slowest) before it prints them (one demo
        // start at a time: start-gate.ts)
        120_000,
        'the demo to print its accounts',
      ).catch((err) => {
        throw new Error(`${err.message}\n--- demo output ---\n${child.output()}`);
      });
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page = await context.newPage();
    watch(page);
  }, 420_000);

  afterAll(async () => {
    if (controlPort) scenario('hot-spot', 'off');
    await browser?.close();
    await stopCli(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a viewer opens the analytics page from the navigation: the seeded points are ready', async () => {
    await page.goto(`${base}/login`);
    await page.fill('input[name="user"]', 'viewer');
    await page.fill('input[name="password"]', accounts.get('viewer')!);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/`);
    // the baselines are fitted one point per slice soon after start; the page refreshes every 15 s
    await waitFor(
      async () => {
        // the other CRACs were not seeded: they train from live data (10 minutes)
        const list = await api<Array<{ point: string; state: string }>>('/api/v1/analytics');
        const seeded = list.filter((s) => s.point === 'crac1.supply_temp' || RACKS.includes(s.point));
        return seeded.length === RACKS.length + 1 && seeded.every((s) => s.state === 'ready') ? true : undefined;
      },
      30_000,
      'the seeded points to be ready',
    );
    await page.click('nav a[href="/analytics"]');
    await page.locator('h1', { hasText: 'Analytics' }).waitFor();
    // the rows are drawn by the page's script after the heading is there: wait for them, not the heading
    await page.locator('#analytics-rows tr[data-point="crac1.supply_temp"]').waitFor();
    const rows = page.locator('#analytics-rows tr[data-point]');
    const points = await rows.evaluateAll((els) => els.map((e) => [e.getAttribute('data-point'), e.getAttribute('data-state')]));
    expect(points).toContainEqual(['crac1.supply_temp', 'ready']);
    for (const rack of RACKS) expect(points).toContainEqual([rack, 'ready']);
    const crac = page.locator('#analytics-rows tr[data-point="crac1.supply_temp"]');
    expect(await crac.locator('td.state').textContent()).toBe('ready · baseline: recent window');
    expect(await crac.locator('td').nth(3).textContent()).toBe('band, spike, drift, limit forecast');
    expect(await crac.locator('a').getAttribute('href')).toBe('/trends?points=crac1.supply_temp&range=1h');
  }, 60_000);

  it("the trend of CRAC-1's supply air draws the learned band behind its line", async () => {
    await page.click('#analytics-rows tr[data-point="crac1.supply_temp"] a');
    await page.waitForURL(/\/trends\?points=crac1\.supply_temp/);
    const chart = page.locator('#charts .chart[data-analytics~="band"]');
    await chart.waitFor({ timeout: 20_000 });
    expect((await chart.locator('[data-legend="band"]').textContent())?.trim()).toBe('Supply air temperature: Normal band (learned)');
    // uPlot's own legend lists the band's edges as series
    const labels = await chart.locator('.u-legend .u-series .u-label').allTextContents();
    expect(labels).toContain('Supply air temperature band low');
    expect(labels).toContain('Supply air temperature band high');
    await page.screenshot({ path: join(ARTIFACTS, 'analytics-trend.png'), fullPage: true });
  }, 40_000);

  it('hot-spot: the rack tile shows "forecast: HI in N min" before the rack HI alarm is raised', async () => {
    await page.goto(`${base}/`);
    const res = scenario('hot-spot', 'on');
    expect(res.code, res.stderr).toBe(0);
    const badge = page.locator('[data-forecast="racks-a"]');
    // at the moment the badge appears, ask the alarm list: no HI alarm of the heated racks yet
    const seen = await waitFor(
      async () => {
        if (await badge.isHidden()) return undefined;
        const text = (await badge.textContent()) ?? '';
        if (!/^forecast: HI in \d+ min$/.test(text)) return undefined;
        const alarms = await api<AlarmView[]>('/api/v1/alarms?state=active');
        return { text, alarms };
      },
      // a rack starts 22–25 °C and warms 1.2 °C a minute: HI 27 °C is 2–4 minutes away
      6 * 60_000,
      'the forecast badge on the rack tile',
    );
    expect(seen.alarms.filter((a) => /^rack-a0[26]-inlet\.hi/.test(a.id) && a.active)).toEqual([]);
    expect(await badge.getAttribute('title')).toMatch(/^racks-a\.a0[26]-temperature$/);
    await page.screenshot({ path: join(ARTIFACTS, 'analytics-overview.png'), fullPage: true });
  }, 7 * 60_000);

  it('the heated rack’s trend draws the forecast beyond now', async () => {
    const point = (await page.locator('[data-forecast="racks-a"]').getAttribute('title')) ?? 'racks-a.a02-temperature';
    await page.goto(`${base}/trends?points=${point}&range=1h`);
    const chart = page.locator('#charts .chart[data-analytics~="forecast"]');
    await chart.waitFor({ timeout: 20_000 });
    expect((await chart.locator('[data-legend="forecast"]').textContent())?.trim()).toMatch(/^Rack a0[26] inlet temperature: Forecast$/);
    expect(await chart.locator('[data-legend="band"]').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'analytics-forecast.png'), fullPage: true });
  }, 40_000);

  it('the Korean pages say it in Korean', async () => {
    const ko = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ko-KR', storageState: await context.storageState() });
    try {
      const koPage = await ko.newPage();
      watch(koPage);
      await koPage.goto(`${base}/analytics`);
      expect(await koPage.locator('html').getAttribute('lang')).toBe('ko');
      expect(await koPage.locator('nav a[href="/analytics"]').textContent()).toBe('분석');
      expect(await koPage.locator('#analytics-rows tr[data-point="crac1.supply_temp"] td.state').textContent()).toBe('준비됨 · 기준선: 최근 구간');
      await koPage.goto(`${base}/`);
      // the heated racks now head for HI or (past it) HIHI
      const badge = koPage.locator('[data-forecast="racks-a"]:not([hidden])');
      await badge.waitFor({ timeout: 20_000 });
      expect(await badge.textContent()).toMatch(/^예측: \d+분 후 HI(HI)?$/);
    } finally {
      await ko.close();
    }
  }, 40_000);

  it('ran without script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
