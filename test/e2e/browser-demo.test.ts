/**
 * The web page as a facility manager uses it, in a real browser (Debian's chromium driven by
 * playwright-core) against `gateway demo`: log in, watch a live value change, trigger the power
 * failure, see the alarm appear, acknowledge it, see its state change, switch to Korean.
 * Screenshots go to test-artifacts/ (kept by CI as artifacts).
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

describe.runIf(peersAvailable('chromium'))('browser: the demo site end to end', () => {
  let dir: string;
  let base: string;
  let controlPort: number;
  let child: ReturnType<typeof spawnCli>;
  let browser: Browser;
  let page: Page;
  const accounts = new Map<string, string>();
  const problems: string[] = [];
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `browser-${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'gw-browser-'));
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
        return accounts.has('operator') ? true : undefined;
      },
      60_000,
      'the demo to print its accounts',
    ).catch((err) => {
      throw new Error(`${err.message}\n--- demo output ---\n${child.output()}`);
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      // A blocked inline script or style shows up here as a CSP violation.
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await stopCli(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in as the operator the demo printed, by keyboard', async () => {
    await page.goto(`${base}/`);
    expect(page.url()).toContain('/login');
    // By keyboard only: the user field has focus, Tab to the password, Enter submits.
    // the login form focuses the user field itself; typing before that (a loaded machine) loses keys
    await page.locator('#user:focus').waitFor({ timeout: 10_000 });
    await page.keyboard.type('operator');
    await page.keyboard.press('Tab');
    await page.keyboard.type(accounts.get('operator')!);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/`);
    await page.locator('h1', { hasText: 'Overview' }).waitFor();
    await page.locator('#live-status[data-state="open"]').waitFor({ timeout: 5000 });
  });

  it('shows a live value changing without a reload', async () => {
    const cell = page.locator('[data-point="ups1.output_load"]').first();
    const first = await cell.textContent();
    // The function runs in the page; `globalThis.document` there is the DOM.
    await page.waitForFunction(
      (before) =>
        (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector(
          '[data-point="ups1.output_load"]',
        )?.textContent !== before,
      first,
      { timeout: 8000 },
    );
    expect(await cell.textContent()).toMatch(/^\d+(\.\d+)? %$/);
    await shot('overview');
  });

  it('a power failure raises a critical alarm that appears on the page at once', async () => {
    const res = runCli(['scenario', 'power-failure', 'on', '--control', `http://127.0.0.1:${controlPort}`]);
    expect(res.code, res.stderr).toBe(0);
    await page.locator('#critical-banner:not([hidden])').waitFor({ timeout: 6000 });
    expect(await page.locator('#critical-banner .text').textContent()).toMatch(/^New critical alarm: .+/);
    await page.locator('.tile[data-device="ups1"].h-alarm').waitFor({ timeout: 3000 });
    await shot('power-failure');
  });

  it('the operator acknowledges it in the alarm console and sees its state change', async () => {
    await page.click('nav a[href="/alarms"]');
    const row = page.locator('#alarm-rows tr.sev-critical[data-state="unack"]').filter({ hasText: 'on battery' }).first();
    await row.waitFor({ timeout: 5000 });
    // By id from here on: the row leaves this selector once it is acknowledged.
    const id = await row.getAttribute('data-alarm-id');
    await page.locator(`#alarm-rows tr[data-alarm-id="${id}"]`).getByRole('button', { name: 'Acknowledge' }).click();
    await page.fill('#dialog-comment', 'Generator starting, checked on site');
    await page.click('#dialog-confirm');
    const acked = page.locator(`#alarm-rows tr[data-alarm-id="${id}"][data-state="acked"]`);
    await acked.waitFor({ timeout: 5000 });
    expect(await acked.textContent()).toContain('acknowledged by operator');
    await shot('alarm-acked');
  });

  it('switches to Korean and keeps the choice', async () => {
    await page.click('.menu summary');
    await page.click('.menu a[href$="lang=ko"]');
    await page.locator('h1', { hasText: '경보 콘솔' }).waitFor();
    await page.goto(`${base}/`);
    await page.locator('h1', { hasText: '개요' }).waitFor();
    expect(await page.locator('nav a[href="/alarms"]').textContent()).toBe('경보');
    expect(await page.locator('html').getAttribute('lang')).toBe('ko');
    await shot('overview-ko');
  });

  it('ran without script errors or CSP violations', async () => {
    runCli(['scenario', 'power-failure', 'off', '--control', `http://127.0.0.1:${controlPort}`]);
    expect(problems).toEqual([]);
  });
});
