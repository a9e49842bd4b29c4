/**
 * The topology view in a real browser (Debian's chromium driven by playwright-core) against
 * `gateway demo`: the demo's power and cooling chains are drawn, and when the power-failure
 * scenario runs the UPS boxes (and the hall they sit in) turn alarm-coloured without a reload.
 * Screenshot: test-artifacts/topology.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, spawnCli, stopCli, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { peersAvailable } from '../helpers/peers.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

describe.runIf(peersAvailable('chromium'))('browser: the topology view of the demo site', () => {
  let dir: string;
  let base: string;
  let controlPort: number;
  let child: ReturnType<typeof spawnCli>;
  let browser: Browser;
  let page: Page;
  const accounts = new Map<string, string>();
  const problems: string[] = [];
  const scenario = (name: string, on: 'on' | 'off') => runCli(['scenario', name, on, '--control', `http://127.0.0.1:${controlPort}`]);

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'gw-browser-topo-'));
    const httpPort = await freePort();
    controlPort = await freePort();
    let text = readFileSync(join(REPO_ROOT, 'config', 'demo.yaml'), 'utf8');
    for (const fixed of new Set(text.match(/\b150\d\d\b/g))) text = text.replaceAll(fixed, String(await freePort()));
    text = text.replace('dataDir: ../data/demo', `dataDir: ${join(dir, 'data')}`).replace('port: 8080', `port: ${httpPort}`);
    writeFileSync(join(dir, 'demo.yaml'), text);
    child = spawnCli(['demo', '--config', join(dir, 'demo.yaml'), '--control-port', String(controlPort)]);
    base = `http://127.0.0.1:${httpPort}`;
    await waitFor(
      () => {
        for (const m of child.output().matchAll(/^\s+(\w+)\s+user: (\S+)\s+password: (\S+)$/gm)) accounts.set(m[2]!, m[3]!);
        return accounts.has('viewer') ? true : undefined;
      },
      // the demo starts several simulators (OPC UA is the slowest) before it prints them
      60_000,
      'the demo to print its accounts',
    ).catch((err) => {
      throw new Error(`${err.message}\n--- demo output ---\n${child.output()}`);
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      // A blocked inline script or style shows up here as a CSP violation.
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
  }, 90_000);

  afterAll(async () => {
    if (controlPort) scenario('power-failure', 'off');
    await browser?.close();
    await stopCli(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a viewer opens the topology from the navigation and sees both chains', async () => {
    await page.goto(`${base}/login`);
    await page.fill('input[name="user"]', 'viewer');
    await page.fill('input[name="password"]', accounts.get('viewer')!);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/`);
    await page.click('nav a[href="/topology"]');
    await page.locator('h1', { hasText: 'Site topology' }).waitFor();
    const power = page.locator('section[aria-labelledby="h-power"]');
    // feed → UPS → PDU/CRAC → zone, one column each
    const columns = power.locator('ol.tcol');
    expect(await columns.count()).toBe(4);
    expect(await columns.nth(0).locator('[data-node]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')))).toEqual(['utility-a', 'utility-b']);
    expect(await columns.nth(3).locator('[data-node]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')))).toEqual(['hall-a', 'hall-b']);
    expect(await power.locator('a[data-node="ups1"]').getAttribute('href')).toBe('/devices/ups1');
    const cooling = page.locator('section[aria-labelledby="h-cooling"]');
    expect(await cooling.locator('[data-node="crac1"]').count()).toBe(1);
    expect(await cooling.locator('[data-node="hall-a"]').count()).toBe(1);
    // before the failure, no UPS is in alarm
    expect(await page.locator('[data-node="ups1"]').first().getAttribute('class')).not.toMatch(/sev-/);
  });

  it('the power failure turns the UPS boxes alarm-coloured without a reload', async () => {
    const res = scenario('power-failure', 'on');
    expect(res.code, res.stderr).toBe(0);
    // the page polls every 5 s; the UPS on-battery alarm is raised within a few polls
    const ups1 = page.locator('section[aria-labelledby="h-power"] [data-node="ups1"]');
    await page.waitForFunction(
      () => /\bsev-(critical|major)\b/.test(
        (globalThis as unknown as { document: { querySelector(s: string): { className: string } | null } }).document.querySelector(
          'section[aria-labelledby="h-power"] [data-node="ups1"]',
        )?.className ?? '',
      ),
      undefined,
      { timeout: 20_000 },
    );
    expect(await ups1.locator('[data-node-state]').textContent()).toMatch(/^(Critical|Major)$/);
    // UPS-2 carries the core network: critical on this site
    await page.locator('section[aria-labelledby="h-power"] [data-node="ups2"].sev-critical').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'topology.png'), fullPage: true });
  }, 40_000);

  it('a node box opens the device page', async () => {
    await page.click('section[aria-labelledby="h-power"] a[data-node="ups1"]');
    await page.waitForURL(`${base}/devices/ups1`);
  });

  it('ran without script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
