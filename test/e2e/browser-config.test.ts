/**
 * The configuration page in a real browser (Debian's chromium driven by playwright-core) on a
 * whole gateway polling a real Modbus server (pymodbus): an admin opens the page from the nav,
 * checks a broken site file (every problem with its line, nothing changed), checks and applies a
 * valid change (a device's name and poll interval: version 2, the watch after it shown, the
 * device renamed in the running gateway), reads the version's diff, rolls back to version 1 (the
 * old name and interval again, as version 3) and reads it all in Korean on a touch tablet. An
 * operator sees no link and is refused the page. A change that takes the device down is undone by
 * the watch and the page follows by itself; a central config source's failing polls show up on
 * it (a local HTTP server answering 503), its token never. An admin starts from the running file
 * (its tokens as `[secret]`), renames the device and applies it: the site file holds the tokens
 * again, the page never. No script or CSP error on the way.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../app/start-gateway.js';
import { loadSiteConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { peersAvailable } from '../helpers/peers.js';
import { type PymodbusPeer, startPymodbus } from '../helpers/pymodbus.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const ADMIN = { name: 'cfg-admin', password: 'a long admin password' };
const OPERATOR = { name: 'cfg-operator', password: 'a long operator password' };
/** a sync target's token in the site file: the page must never show it */
const TOKEN = 'ems-token-3c1d-not-for-the-page';
const CENTRAL_TOKEN = 'central-token-77e0-not-for-the-page';

describe.runIf(peersAvailable('chromium', 'pymodbus'))('browser: the configuration page', () => {
  let dir: string;
  let peer: PymodbusPeer;
  let gateway: RunningGateway;
  let browser: Browser;
  let base: string;
  let centralServer: Server | undefined;

  const site = (name: string, pollIntervalMs: number, extra = '', port = peer.port) => `gateway: { id: e2e-config-page, dataDir: ./data }
http: { host: 127.0.0.1, port: 0 }
storage: { commitIntervalMs: 50 }
devices:
  - id: ups1
    name: ${name}
    kind: ups
    driver: modbus
    connection: { host: 127.0.0.1, port: ${port}, unitId: 1, timeoutMs: 1000 }
    pollIntervalMs: ${pollIntervalMs}
    points:
      - { key: load, name: Output load, table: holding, address: 0, type: uint16, unit: "%" }
${extra}sync:
  targets:
    - { id: ems, kind: http, url: "http://127.0.0.1:9/ingest", token: "${TOKEN}", retryInitialMs: 1000, retryMaxMs: 30000 }
`;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    peer = await startPymodbus({ transport: 'tcp' }, { 1: { holding: [{ address: 0, type: 'uint16', value: 42 }] } });
    dir = mkdtempSync(join(tmpdir(), 'gw-browser-config-'));
    const file = join(dir, 'site.yaml');
    writeFileSync(file, site('UPS-1', 500));
    gateway = await startGateway(loadSiteConfig(file), { logger: silentLogger, version: 'test', firstAdmin: false });
    await gateway.users.add(ADMIN.name, ADMIN.password, 'admin');
    await gateway.users.add(OPERATOR.name, OPERATOR.password, 'operator');
    base = `http://127.0.0.1:${gateway.port}`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await new Promise((r) => (centralServer ? centralServer.close(r) : r(undefined)));
    await peer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function login(page: Page, user: { name: string; password: string }) {
    await page.goto(`${base}/login`);
    // the login form focuses the user field itself; typing before that (a loaded machine) loses keys
    await page.locator('#user:focus').waitFor({ timeout: 10_000 });
    await page.keyboard.type(user.name);
    await page.keyboard.press('Tab');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/`);
  }

  const device = async (page: Page) => (await (await page.request.get(`${base}/api/v1/devices/ups1`)).json()) as { name: string; pollIntervalMs: number; status: string };
  /** Script errors and console errors of a page; the dry run's 422 (a broken file) is the one expected. */
  const watch = (page: Page) => {
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !msg.text().includes('status of 422 (Unprocessable Entity)')) problems.push(`console: ${msg.text()}`);
    });
    return problems;
  };

  it('checks a broken file, applies a change, shows its diff and rolls it back', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    const problems = watch(page);
    await login(page, ADMIN);
    // up before the change, so the watch after the apply has a device to look after
    await expect.poll(async () => (await device(page)).status, { timeout: 15_000 }).toBe('up');
    await page.getByRole('link', { name: 'Config', exact: true }).click();
    await page.waitForURL(`${base}/config`);
    await expect.poll(() => page.locator('#config-version').textContent(), { timeout: 5000 }).toMatch(/^version 1, applied \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(await page.locator('#config-guard').textContent()).toBe('no watch in progress');
    expect(await page.locator('#config-v-1 td.source').textContent()).toBe('site file');
    // the running YAML opens with a tap or click (no hover), its secret hidden
    const yaml = page.locator('#config-yaml');
    expect(await yaml.isVisible()).toBe(false);
    await page.getByText('Running YAML (secrets hidden)').click();
    expect(await yaml.isVisible()).toBe(true);
    expect(await yaml.textContent()).toContain('    name: UPS-1\n');
    expect(await yaml.textContent()).toContain('token: "[secret]"');

    // broken: two problems, each with its line; nothing changes
    const editor = page.locator('#config-text');
    await editor.fill(site('UPS-1', 50, '    bogus: 1\n'));
    await page.getByRole('button', { name: 'Check' }).click();
    const result = page.locator('#config-result');
    await expect.poll(() => result.getAttribute('data-state'), { timeout: 10_000 }).toBe('invalid');
    expect(await result.locator('p.notice').textContent()).toBe('2 problem(s) in the config; nothing changed.');
    expect(await result.locator('ol.problems li').allTextContents()).toEqual([
      'line 10 devices[0].pollIntervalMs: 50 is below 100',
      'line 13 devices[0].bogus: unknown key "bogus"',
    ]);
    expect(await page.locator('#config-versions tbody tr:not(.diff-row)').count()).toBe(1);

    // valid: the check shows the diff, the apply asks first, then says what it did
    // this one loaded from a file, as from a laptop or a tablet's downloads
    const changed = site('UPS-1 Hall B', 1000);
    await page.locator('#config-file').setInputFiles({ name: 'site.yaml', mimeType: 'application/yaml', buffer: Buffer.from(changed) });
    await expect.poll(() => editor.inputValue(), { timeout: 5000 }).toBe(changed);
    expect(await result.getAttribute('data-state')).toBe('');
    await page.getByRole('button', { name: 'Check' }).click();
    await expect.poll(() => result.getAttribute('data-state'), { timeout: 10_000 }).toBe('valid');
    expect(await result.locator('p.notice').textContent()).toBe('Valid. Applying it changes:');
    expect(await result.locator('ul.diff li').allTextContents()).toEqual(['Devices: ~ ups1: name, pollIntervalMs (changed)']);
    expect((await device(page)).name).toBe('UPS-1');
    await page.getByRole('button', { name: 'Apply' }).click();
    const dialog = page.locator('#config-dialog');
    await dialog.waitFor({ state: 'visible', timeout: 5000 });
    expect(await dialog.locator('#config-dialog-title').textContent()).toBe('Apply this configuration to the running gateway?');
    expect(await dialog.locator('#config-dialog-text').textContent()).toBe('For 60 s after, a device that was up going down restores the version running now.');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => result.getAttribute('data-state'), { timeout: 15_000 }).toBe('applied');
    expect(await result.locator('p.notice').textContent()).toBe('Applied as version 2.');
    await expect.poll(() => page.locator('#config-version').textContent(), { timeout: 5000 }).toMatch(/^version 2, applied /);
    expect(await page.locator('#config-guard').textContent()).toMatch(
      /^watching devices until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d: if a device that was up goes down, version 1 will be restored$/,
    );
    expect(await device(page)).toMatchObject({ name: 'UPS-1 Hall B', pollIntervalMs: 1000 });
    expect(await page.locator('#config-v-2 td.source').textContent()).toBe('page or API');
    expect(await page.locator('#config-v-2 td:nth-child(3)').textContent()).toBe(ADMIN.name);
    expect(await page.locator('#config-v-2 td.changes').textContent()).toBe('Devices: ~ ups1 (name, pollIntervalMs)');
    expect(await page.locator('#config-yaml').textContent()).toContain('    name: UPS-1 Hall B\n');

    // version 2's diff, shown and hidden by a click
    const row2 = page.locator('#config-v-2');
    await row2.getByRole('button', { name: 'Show diff' }).click();
    await expect.poll(() => page.locator('#config-diff-2').isVisible(), { timeout: 5000 }).toBe(true);
    expect(await page.locator('#config-diff-2 ul.diff li').allTextContents()).toEqual(['Devices: ~ ups1: name, pollIntervalMs (changed)']);
    await page.screenshot({ path: join(ARTIFACTS, 'config-applied.png'), fullPage: true });
    await row2.getByRole('button', { name: 'Hide diff' }).click();
    expect(await page.locator('#config-diff-2').isVisible()).toBe(false);
    // the running version offers no rollback to itself
    expect(await row2.locator('button.rollback').count()).toBe(0);

    // back to version 1, asked first
    await page.locator('#config-v-1').getByRole('button', { name: 'Roll back to version 1' }).click();
    await dialog.waitFor({ state: 'visible', timeout: 5000 });
    expect(await dialog.locator('#config-dialog-title').textContent()).toBe('Restore version 1 on the running gateway?');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => result.locator('p.notice').textContent(), { timeout: 15_000 }).toBe('Version 1 restored (now version 3).');
    await expect.poll(() => page.locator('#config-version').textContent(), { timeout: 5000 }).toMatch(/^version 3, applied /);
    expect(await page.locator('#config-guard').textContent()).toBe('no watch in progress');
    expect(await page.locator('#config-v-3 td.source').textContent()).toBe('rollback');
    expect(await device(page)).toMatchObject({ name: 'UPS-1', pollIntervalMs: 500 });
    expect(await page.locator('#config-yaml').textContent()).toContain('    name: UPS-1\n');
    // and the device keeps polling under the restored config
    await expect.poll(async () => (await device(page)).status, { timeout: 10_000 }).toBe('up');
    // all the gateway sent is in the DOM (the editor's value, typed by the admin, is not)
    expect(await page.content()).not.toContain(TOKEN);
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);

  it('reads in Korean on a touch tablet', async () => {
    const context = await browser.newContext({ viewport: { width: 820, height: 1180 }, hasTouch: true, isMobile: true, locale: 'ko-KR' });
    const page = await context.newPage();
    const problems = watch(page);
    await login(page, ADMIN);
    await page.goto(`${base}/config`);
    await expect.poll(() => page.locator('#config-version').textContent(), { timeout: 5000 }).toMatch(/^버전 3, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d 적용$/);
    expect(await page.locator('h1').textContent()).toBe('구성 설정');
    expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe('설정');
    expect(await page.locator('#config-check').textContent()).toBe('검사');
    expect(await page.locator('#config-apply').textContent()).toBe('적용');
    expect(await page.locator('#config-load-running').textContent()).toBe('실행 중인 파일에서 시작');
    expect(await page.locator('#config-guard').textContent()).toBe('진행 중인 감시 없음');
    expect(await page.locator('#config-v-3 td.source').textContent()).toBe('되돌리기');
    expect(await page.locator('#config-v-1 td.source').textContent()).toBe('사이트 파일');
    expect(await page.locator('#config-v-1 span.tag').count()).toBe(0);
    expect(await page.locator('#config-v-2 td.changes').textContent()).toBe('장비: ~ ups1 (name, pollIntervalMs)');
    expect(await page.locator('#config-v-3 span.tag').textContent()).toBe('실행 중');
    // a tap, not a hover, opens a version's diff
    await page.locator('#config-v-2').getByRole('button', { name: '차이 보기' }).tap();
    await expect.poll(() => page.locator('#config-diff-2 ul.diff li').allTextContents(), { timeout: 5000 }).toEqual(['장비: ~ ups1: name, pollIntervalMs (변경)']);
    // an empty editor is refused on the page, in Korean
    await page.locator('#config-check').tap();
    expect(await page.locator('#config-result p.notice').textContent()).toBe('먼저 사이트 파일을 붙여 넣거나 불러오세요.');
    // nothing wider than the screen but the YAML and the table, which scroll in their boxes
    // the function runs in the page; `globalThis.document` there is the DOM
    const scrollWidth = () => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth;
    expect(await page.evaluate(scrollWidth)).toBeLessThanOrEqual(820);
    await page.screenshot({ path: join(ARTIFACTS, 'config-tablet-ko.png'), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('shows an operator no link and refuses the page', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await login(page, OPERATOR);
    expect(await page.locator('nav a[href="/config"]').count()).toBe(0);
    const res = await page.goto(`${base}/config`);
    expect(res?.status()).toBe(403);
    expect(await page.locator('main p.notice').textContent()).toBe(`The configuration page needs the admin role; ${OPERATOR.name} is operator.`);
    expect(await page.locator('#config-text').count()).toBe(0);
    await context.close();
  }, 60_000);

  it('follows by itself when the watch after an apply restores the previous version', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    const problems = watch(page);
    await login(page, ADMIN);
    await page.goto(`${base}/config`);
    await expect.poll(() => page.locator('#config-version').textContent(), { timeout: 5000 }).toMatch(/^version 3, /);
    await expect.poll(async () => (await device(page)).status, { timeout: 15_000 }).toBe('up');
    // the device moved to a port nobody listens on: it goes down, and the watch undoes the change
    await page.locator('#config-text').fill(site('UPS-1', 500, '', await freePort()));
    await page.locator('#config-guard-s').fill('30');
    await page.getByRole('button', { name: 'Apply' }).click();
    const dialog = page.locator('#config-dialog');
    await dialog.waitFor({ state: 'visible', timeout: 5000 });
    expect(await dialog.locator('#config-dialog-text').textContent()).toBe('For 30 s after, a device that was up going down restores the version running now.');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => page.locator('#config-result p.notice').textContent(), { timeout: 15_000 }).toBe('Applied as version 4.');
    expect(await page.locator('#config-guard').textContent()).toMatch(/^watching devices until .*, version 3 will be restored$/);
    // nobody touches the page: it sees version 5 (the guard's rollback) on its own
    await expect.poll(() => page.locator('#config-version').textContent(), { timeout: 40_000, interval: 500 }).toMatch(/^version 5, /);
    expect(await page.locator('#config-v-5 td.source').textContent()).toBe('rollback');
    expect(await page.locator('#config-v-5 td:nth-child(3)').textContent()).toBe('guard');
    expect(await page.locator('#config-v-5 td.changes').textContent()).toBe('Devices: ~ ups1 (connection)');
    expect(await page.locator('#config-guard').textContent()).toBe('no watch in progress');
    await expect.poll(async () => (await device(page)).status, { timeout: 15_000 }).toBe('up');
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);

  it("shows a central config source's failing polls, never its token", async () => {
    // the central server is down for maintenance: every poll gets a 503
    const seen: string[] = [];
    centralServer = createServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.writeHead(503, { 'content-type': 'text/plain' }).end('maintenance');
    });
    await new Promise<void>((r) => centralServer!.listen(0, '127.0.0.1', r));
    const port = (centralServer.address() as AddressInfo).port;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    const problems = watch(page);
    await login(page, ADMIN);
    await page.goto(`${base}/config`);
    await expect.poll(() => page.locator('#config-version').textContent(), { timeout: 5000 }).toMatch(/^version 5, /);
    expect(await page.locator('#config-central').isVisible()).toBe(false);
    const source = `configSource: { url: "http://127.0.0.1:${port}/sites/e2e.yaml", token: "${CENTRAL_TOKEN}", intervalS: 2 }\n`;
    await page.locator('#config-text').fill(site('UPS-1', 500, source));
    await page.locator('#config-guard-s').fill('0');
    await page.getByRole('button', { name: 'Apply' }).click();
    const dialog = page.locator('#config-dialog');
    await dialog.waitFor({ state: 'visible', timeout: 5000 });
    expect(await dialog.locator('#config-dialog-text').textContent()).toBe('No watch after this apply: a device going down will not undo it.');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => page.locator('#config-result p.notice').textContent(), { timeout: 15_000 }).toBe('Applied as version 6.');
    expect(await page.locator('#config-result ul.diff li').allTextContents()).toEqual(['Settings: configSource']);
    // shown at once, then its polls as they fail (the first comes within 10 s, the page looks every 10 s)
    const central = page.locator('#config-central');
    expect(await central.isVisible()).toBe(true);
    expect(await page.locator('#config-central-label').textContent()).toBe('Central config');
    await expect
      .poll(() => central.locator('span').allTextContents(), { timeout: 40_000, interval: 500 })
      .toEqual([
        expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:${port}, every 2 s; last poll \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`)),
        expect.stringMatching(/^last poll failed \(\d+ in a row\): .+$/),
      ]);
    expect(await central.getAttribute('class')).toBe('failing');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((h) => h === `Bearer ${CENTRAL_TOKEN}`)).toBe(true);
    expect(await page.content()).not.toContain(CENTRAL_TOKEN);
    expect(await page.locator('#config-yaml').textContent()).toContain('token: "[secret]"');
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);

  it('starts from the running file, renames the device and applies it, the tokens kept on the gateway', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    const problems = watch(page);
    await login(page, ADMIN);
    await page.goto(`${base}/config`);
    await expect.poll(() => page.locator('#config-version').textContent(), { timeout: 5000 }).toMatch(/^version 6, /);
    expect(await page.locator('#config-load-running-hint').textContent()).toContain('leave one as it is and the gateway keeps the value it has');
    // text already in the editor is replaced only when the admin says so
    const editor = page.locator('#config-text');
    await editor.fill('gateway: { id: half-typed }');
    await page.getByRole('button', { name: 'Start from the running file' }).click();
    const dialog = page.locator('#config-dialog');
    await dialog.waitFor({ state: 'visible', timeout: 5000 });
    expect(await dialog.locator('#config-dialog-title').textContent()).toBe('Replace the text in the editor with the running file?');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    const result = page.locator('#config-result');
    await expect.poll(() => result.getAttribute('data-state'), { timeout: 10_000 }).toBe('loaded');
    expect(await result.locator('p.notice').textContent()).toBe('Loaded the site file of version 6; 2 secret value(s) show as [secret] and keep their saved values.');
    // the file as written (its layout, the sync target's flow mapping), both tokens as the marker
    const loaded = await editor.inputValue();
    expect(loaded).toContain('    name: UPS-1\n');
    expect(loaded).toContain('    - { id: ems, kind: http, url: "http://127.0.0.1:9/ingest", token: "[secret]", retryInitialMs: 1000, retryMaxMs: 30000 }\n');
    expect(loaded).toContain('token: "[secret]", intervalS: 2 }');
    expect(loaded).not.toContain(TOKEN);
    expect(loaded).not.toContain(CENTRAL_TOKEN);

    await editor.fill(loaded.replace('    name: UPS-1\n', '    name: UPS-1 edited on the page\n'));
    await page.getByRole('button', { name: 'Check' }).click();
    await expect.poll(() => result.getAttribute('data-state'), { timeout: 10_000 }).toBe('valid');
    // only the name: the tokens came back as they were, so neither target nor source changed
    expect(await result.locator('ul.diff li').allTextContents()).toEqual(['Devices: ~ ups1: name (changed)']);
    await page.locator('#config-guard-s').fill('0');
    await page.getByRole('button', { name: 'Apply' }).click();
    await dialog.waitFor({ state: 'visible', timeout: 5000 });
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => result.locator('p.notice').textContent(), { timeout: 15_000 }).toBe('Applied as version 7.');
    await expect.poll(() => page.locator('#config-version').textContent(), { timeout: 5000 }).toMatch(/^version 7, applied /);
    expect(await page.locator('#config-v-7 td.changes').textContent()).toBe('Devices: ~ ups1 (name)');
    expect((await device(page)).name).toBe('UPS-1 edited on the page');
    // the site file holds the tokens themselves, never the marker
    const onDisk = readFileSync(join(dir, 'site.yaml'), 'utf8');
    expect(onDisk).toContain(`token: "${TOKEN}"`);
    expect(onDisk).toContain(`token: "${CENTRAL_TOKEN}"`);
    expect(onDisk).not.toContain('[secret]');
    expect(onDisk).toContain('    name: UPS-1 edited on the page\n');
    await page.screenshot({ path: join(ARTIFACTS, 'config-running-file.png'), fullPage: true });
    expect(await page.content()).not.toContain(TOKEN);
    expect(await editor.inputValue()).not.toContain(TOKEN);
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);
});
