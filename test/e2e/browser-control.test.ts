/**
 * A setpoint change from the web page (issue 14), in a real browser (Debian's chromium driven by
 * playwright-core) against `gateway demo`: the operator opens CRAC-1, asks for a new supply
 * setpoint, confirms old → new, and sees it verified (read back from the simulated CRAC over
 * Modbus), on the page and in the device's control history; a viewer sees the limits, no control.
 * Screenshots go to test-artifacts/ (kept by CI as artifacts).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, spawnCli, stopCli, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { peersAvailable } from '../helpers/peers.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const SETPOINT = 'crac1.setpoint';

describe.runIf(peersAvailable('chromium'))('browser: a setpoint change with confirmation', () => {
  let dir: string;
  let base: string;
  let child: ReturnType<typeof spawnCli>;
  let browser: Browser;
  const accounts = new Map<string, string>();
  const problems: string[] = [];

  async function loggedIn(user: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`${user}: page error: ${err.message}`));
    page.on('console', (msg) => {
      // A blocked inline script or style shows up here as a CSP violation. The refusal test's
      // 422 answer is logged by the browser as a failed load: expected, not a problem.
      if (msg.type() === 'error' && !/status of 422 /.test(msg.text())) problems.push(`${user}: console: ${msg.text()}`);
    });
    await page.goto(`${base}/`);
    // the login form focuses the user field itself; typing before that (a loaded machine) loses keys
    await page.locator('#user:focus').waitFor({ timeout: 10_000 });
    await page.keyboard.type(user);
    await page.keyboard.press('Tab');
    await page.keyboard.type(accounts.get(user)!);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/`);
    return { context, page };
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'gw-browser-control-'));
    const httpPort = await freePort();
    const controlPort = await freePort();
    let text = readFileSync(join(REPO_ROOT, 'config', 'demo.yaml'), 'utf8');
    for (const fixed of new Set(text.match(/\b150\d\d\b/g))) text = text.replaceAll(fixed, String(await freePort()));
    text = text.replace('dataDir: ../data/demo', `dataDir: ${join(dir, 'data')}`).replace('port: 8080', `port: ${httpPort}`);
    writeFileSync(join(dir, 'demo.yaml'), text);
    child = spawnCli(['demo', '--config', join(dir, 'demo.yaml'), '--control-port', String(controlPort)]);
    base = `http://127.0.0.1:${httpPort}`;
    await waitFor(
      () => {
        for (const m of child.output().matchAll(/^\s+(\w+)\s+user: (\S+)\s+password: (\S+)$/gm)) accounts.set(m[2]!, m[3]!);
        return accounts.has('operator') && accounts.has('viewer') ? true : undefined;
      },
      60_000,
      'the demo to print its accounts',
    ).catch((err) => {
      throw new Error(`${err.message}\n--- demo output ---\n${child.output()}`);
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await stopCli(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the operator changes CRAC-1 setpoint: confirm old → new, verified, shown on the page and in the history', async () => {
    const { context, page } = await loggedIn('operator');
    await page.goto(`${base}/devices/crac1`);
    await page.locator('#live-status[data-state="open"]').waitFor({ timeout: 5000 });
    const control = page.locator(`[data-control="${SETPOINT}"]`);
    expect(await control.locator('[data-control-limits]').textContent()).toContain('18 °C to 27 °C');
    // wait for the simulated CRAC's value, so the confirmation has an old value to show
    const value = control.locator(`[data-point="${SETPOINT}"]`);
    await expect.poll(() => value.textContent(), { timeout: 8000 }).toBe('18 °C');

    await control.locator('input[name="value"]').fill('22.5');
    await control.locator('input[name="comment"]').fill('Hall A runs cool');
    await control.getByRole('button', { name: 'Set' }).click();
    const confirm = control.locator('[data-control-confirm]');
    await confirm.waitFor({ state: 'visible', timeout: 2000 });
    expect(await confirm.locator('[data-old]').textContent()).toBe('18 °C');
    expect(await confirm.locator('[data-new]').textContent()).toBe('22.5 °C');
    // nothing is written before the second step: the device still reads 18
    expect(await value.textContent()).toBe('18 °C');
    await control.screenshot({ path: join(ARTIFACTS, 'browser-control-confirm.png') });

    await confirm.getByRole('button', { name: 'Confirm' }).click();
    const result = control.locator('[data-control-result]');
    await expect.poll(() => result.textContent(), { timeout: 15_000 }).toBe('Verified: 22.5 °C');
    expect(await result.getAttribute('data-state')).toBe('ok');
    await expect.poll(() => value.textContent(), { timeout: 5000 }).toBe('22.5 °C');
    // the points table shows the same live value
    await expect.poll(() => page.locator(`table.points [data-point="${SETPOINT}"]`).textContent(), { timeout: 5000 }).toBe('22.5 °C');

    const row = page.locator('#control-history tr', { hasText: 'Supply air setpoint' }).first();
    await row.waitFor({ timeout: 5000 });
    const cells = await row.locator('td').allTextContents();
    expect(cells[1]).toBe('operator (operator)');
    expect(cells[3]).toBe('18 °C → 22.5 °C');
    expect(cells[4]).toContain('verified');
    expect(cells[4]).toContain('Hall A runs cool');
    await control.screenshot({ path: join(ARTIFACTS, 'browser-control-verified.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'browser-control-page.png'), fullPage: true });

    // the history comes from the events stream: still there after a reload
    await page.reload();
    await page.locator('#control-history tr', { hasText: '18 °C → 22.5 °C' }).waitFor({ timeout: 5000 });
    await context.close();
  }, 60_000);

  it('a button command: the UPS self-test starts (read back true) and ends by itself', async () => {
    const { context, page } = await loggedIn('operator');
    await page.goto(`${base}/devices/ups1`);
    const control = page.locator('[data-control="ups1.self_test"]');
    const value = control.locator('[data-point="ups1.self_test"]');
    await expect.poll(() => value.textContent(), { timeout: 8000 }).toBe('false');
    await control.getByRole('button', { name: 'On' }).click();
    const confirm = control.locator('[data-control-confirm]');
    await confirm.waitFor({ state: 'visible', timeout: 2000 });
    expect(await confirm.locator('[data-old]').textContent()).toBe('Off');
    expect(await confirm.locator('[data-new]').textContent()).toBe('On');
    await confirm.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => control.locator('[data-control-result]').textContent(), { timeout: 10_000 }).toBe('Verified: On');
    await expect.poll(() => value.textContent(), { timeout: 5000 }).toBe('true');
    // the simulated test takes ~10 s, then the point reads false again
    await expect.poll(() => value.textContent(), { timeout: 20_000, interval: 1000 }).toBe('false');
    await context.close();
  }, 45_000);

  it('a value off the step is refused with its reason, and the refusal is in the history too', async () => {
    const { context, page } = await loggedIn('operator');
    await page.goto(`${base}/devices/crac1`);
    const control = page.locator(`[data-control="${SETPOINT}"]`);
    await control.locator('input[name="value"]').fill('22.3');
    await control.getByRole('button', { name: 'Set' }).click();
    await control.getByRole('button', { name: 'Confirm' }).click();
    const result = control.locator('[data-control-result]');
    await expect.poll(() => result.textContent(), { timeout: 10_000 }).toBe('Refused: out of range or not on a step');
    expect(await result.getAttribute('data-state')).toBe('bad');
    await page.locator('#control-history tr', { hasText: '22.3 °C' }).filter({ hasText: 'refused' }).waitFor({ timeout: 5000 });
    await context.close();
  }, 30_000);

  it('a viewer sees the limits and the history, but no control', async () => {
    const { context, page } = await loggedIn('viewer');
    await page.goto(`${base}/devices/crac1`);
    const control = page.locator(`[data-control="${SETPOINT}"]`);
    expect(await control.locator('[data-control-limits]').textContent()).toContain('18 °C to 27 °C');
    expect(await control.locator('[data-control-view-only]').textContent()).toBe('Your role may not change this point.');
    expect(await page.locator('[data-control-form]').count()).toBe(0);
    expect(await page.locator('input[name="value"]').count()).toBe(0);
    await page.locator('#control-history tr', { hasText: '18 °C → 22.5 °C' }).waitFor({ timeout: 5000 });
    await page.screenshot({ path: join(ARTIFACTS, 'browser-control-viewer.png'), fullPage: true });

    // in Korean: the card, the limits and the history's result
    await page.click('.menu summary');
    await page.click('.menu a[href$="lang=ko"]');
    await page.locator('#h-control', { hasText: '제어' }).waitFor({ timeout: 5000 });
    expect(await control.locator('[data-control-view-only]').textContent()).toBe('이 역할로는 이 포인트를 변경할 수 없습니다.');
    expect(await control.locator('[data-control-limits]').textContent()).toContain('18 °C ~ 27 °C');
    await page.locator('#control-history tr', { hasText: '확인됨' }).first().waitFor({ timeout: 5000 });
    await page.screenshot({ path: join(ARTIFACTS, 'browser-control-viewer-ko.png'), fullPage: true });
    await context.close();
  }, 60_000);

  it('ran without script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
