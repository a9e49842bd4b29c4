/**
 * The actions page in a real browser (Debian's chromium driven by playwright-core): an operator
 * sees an action with its trigger, steps and last run, disables it for 15 minutes (the page sends
 * its CSRF token), sees the state change, and enables it again; no script or CSP errors. The
 * dashboard runs on loopback with an action engine whose run is recorded from a real store commit.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../dashboard/http-server.js';
import { silentLogger } from '../../core/logger.js';
import { actionRuleSchema } from '../../gateway/actions/config-schema.js';
import { type ActionEngine, createActionEngine } from '../../gateway/actions/engine.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { peersAvailable } from '../helpers/peers.js';
import { createWebRig, type WebRig } from '../helpers/web-app.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

describe.runIf(peersAvailable('chromium'))('browser: the automated actions page', () => {
  let rig: WebRig;
  let engine: ActionEngine;
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const store = {
      onCommit: (l: Parameters<WebRig['store']['onCommit']>[0]) => rig.store.onCommit(l),
      appendEvent: (type: string, data: Record<string, unknown>, ts?: number) => rig.store.appendEvent(type, data, ts),
      eventsAfter: (after: number, limit: number) => rig.store.eventsAfter(after, limit),
      stats: () => rig.store.stats(),
    };
    engine = createActionEngine({
      rules: [actionRuleSchema.parse({ id: 'start-standby-crac', on: { incident: 'cooling-loss-hall-a' }, do: [{ write: { point: 'crac2.unit_on', value: true } }], cooldownS: 600 })],
      gatewayId: 'gw-web',
      store,
      runners: {
        write: async () => ({ ok: true, result: { result: 'verified' } }),
        webhook: async () => ({ ok: false }),
        mqtt: async () => ({ ok: false }),
        run: async () => ({ ok: false }),
      },
      logger: silentLogger,
    });
    rig = createWebRig({ extraDeps: { actions: engine } });
    engine.start();
    await rig.auth.addUser('olga', 'operator');
    rig.store.appendEvent('incident.raised', { id: 'cooling-loss-hall-a', severity: 'critical', message: 'Cooling loss Hall A' });
    rig.store.flush();
    await new Promise((r) => setTimeout(r, 50));
    await engine.idle();
    rig.store.flush();
    expect(engine.get('start-standby-crac')!.lastRuns).toHaveLength(1);
    server = await startHttpServer(rig.app, '127.0.0.1', 0);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await engine?.stop();
    rig?.close();
  });

  it('an operator sees the last run, disables the action and enables it again', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    await page.goto(`${base}/login`);
    // the login form focuses the user field itself; typing before that (a loaded machine) loses keys
    await page.locator('#user:focus').waitFor({ timeout: 10_000 });
    await page.keyboard.type('olga');
    await page.keyboard.press('Tab');
    await page.keyboard.type('correct horse 1');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/`);
    await page.getByRole('link', { name: 'Actions' }).click();
    await page.waitForURL(`${base}/actions`);
    const card = page.locator('#action-start-standby-crac');
    await card.waitFor({ timeout: 5000 });
    expect(await card.locator('dd').nth(0).textContent()).toBe('incident cooling-loss-hall-a → raised');
    expect(await card.locator('dd').nth(1).textContent()).toBe('write crac2.unit_on = true');
    expect(await card.locator('tbody tr').count()).toBe(1);
    expect(await card.locator('tbody tr td').nth(1).textContent()).toBe('incident cooling-loss-hall-a raised');
    await card.locator('input.minutes').fill('15');
    await card.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => card.locator('dd.state').textContent(), { timeout: 5000 }).toMatch(/^disabled until .* by olga$/);
    expect(engine.get('start-standby-crac')!.disabledUntil).toBeGreaterThan(Date.now() + 14 * 60_000);
    await page.screenshot({ path: join(ARTIFACTS, 'actions-disabled.png'), fullPage: true });
    await card.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => card.locator('dd.state').textContent(), { timeout: 5000 }).toBe('enabled');
    expect(engine.get('start-standby-crac')!.disabledUntil).toBeNull();
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
