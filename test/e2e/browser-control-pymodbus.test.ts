/**
 * Issue 14's "done when", from the page: an operator changes a CRAC setpoint in a real browser
 * (Debian's chromium, playwright-core), confirms old → new, and the value reaches an independent
 * Modbus server (pymodbus): the gateway reads it back ("Verified") and `mbpoll` reads the raw
 * register (scale reversed: 23.5 °C is 235).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../app/start-gateway.js';
import { loadSiteConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import { peersAvailable } from '../helpers/peers.js';
import { type PymodbusPeer, startPymodbus } from '../helpers/pymodbus.js';

const run = promisify(execFile);
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const OPERATOR = { name: 'op-page', password: 'a long operator password' };

describe.runIf(peersAvailable('chromium', 'pymodbus', 'mbpoll'))('browser: a setpoint from the page reaches pymodbus', () => {
  let dir: string;
  let peer: PymodbusPeer;
  let gateway: RunningGateway;
  let browser: Browser;

  beforeAll(async () => {
    peer = await startPymodbus({ transport: 'tcp' }, { 1: { holding: [{ address: 0, type: 'uint16', value: 210 }] } });
    dir = mkdtempSync(join(tmpdir(), 'gw-browser-pymodbus-'));
    const file = join(dir, 'site.yaml');
    writeFileSync(
      file,
      `gateway: { id: e2e-page-write, dataDir: ./data }
http: { host: 127.0.0.1, port: 0 }
storage: { commitIntervalMs: 50 }
devices:
  - id: crac9
    name: CRAC-9 Hall C
    kind: hvac
    driver: modbus
    connection: { host: 127.0.0.1, port: ${peer.port}, unitId: 1, timeoutMs: 1000 }
    pollIntervalMs: 500
    points:
      - { key: setpoint, name: Supply air setpoint, table: holding, address: 0, type: uint16, scale: 0.1, unit: "°C", write: { min: 18, max: 27, step: 0.5, confirm: true } }
`,
    );
    gateway = await startGateway(loadSiteConfig(file), { logger: silentLogger, version: 'test', firstAdmin: false });
    await gateway.users.add(OPERATOR.name, OPERATOR.password, 'operator');
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await peer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('confirm 21 → 23.5 °C: verified on the page, 235 in the register', async () => {
    const base = `http://127.0.0.1:${gateway.port}`;
    const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    await page.goto(`${base}/`);
    // the login form focuses the user field itself; typing before that (a loaded machine) loses keys
    await page.locator('#user:focus').waitFor({ timeout: 10_000 });
    await page.keyboard.type(OPERATOR.name);
    await page.keyboard.press('Tab');
    await page.keyboard.type(OPERATOR.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/`);
    await page.goto(`${base}/devices/crac9`);

    const control = page.locator('[data-control="crac9.setpoint"]');
    const value = control.locator('[data-point="crac9.setpoint"]');
    await expect.poll(() => value.textContent(), { timeout: 10_000 }).toBe('21 °C');
    await control.locator('input[name="value"]').fill('23.5');
    await control.getByRole('button', { name: 'Set' }).click();
    const confirm = control.locator('[data-control-confirm]');
    await confirm.waitFor({ state: 'visible', timeout: 5000 });
    expect(await confirm.locator('[data-new]').textContent()).toBe('23.5 °C');
    await confirm.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => control.locator('[data-control-result]').textContent(), { timeout: 15_000 }).toBe('Verified: 23.5 °C');

    // the independent reading: mbpoll, holding register 0 of unit 1
    const { stdout } = await run('mbpoll', ['-1', '-0', '-m', 'tcp', '-p', String(peer.port), '-a', '1', '-t', '4', '-r', '0', '127.0.0.1'], { timeout: 10_000 });
    expect(/^\[0\]:\s+(\d+)/m.exec(stdout)?.[1]).toBe('235');
  }, 60_000);
});
