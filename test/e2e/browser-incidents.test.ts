/**
 * The incident console in a real browser (Debian's chromium driven by playwright-core) against
 * `gateway demo` (issue 15 §6): when the power-failure scenario runs, the alarm console shows the
 * incident "Utility power lost" without a reload, its causes (the UPS alarms) and, expanded, the
 * Hall A CRAC alarms grouped as symptoms of UPS-2's alarm; the plain alarm list marks them too; an
 * operator acknowledges the incident from the page; the overview counts incidents and causes, not
 * symptoms; the Korean page has the Korean heading. Screenshot: test-artifacts/incidents.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, spawnCli, stopCli, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { peersAvailable } from '../helpers/peers.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const INCIDENT = 'details.incident[data-incident-id="site-power-failure"]';
/** the alarm states the overview counts (dashboard/overview-model.ts ATTENTION) */
const ATTENTION = new Set(['unack', 'acked', 'rtn-unack', 'latched']);

interface ApiAlarm {
  id: string;
  message: string;
  severity: string;
  state: string;
  causeId: string | null;
}
interface ApiIncident {
  id: string;
  state: string;
  severity: string;
  message: string;
  members: string[];
  causes: Array<{ alarm: { id: string }; symptoms: Array<{ id: string }> }>;
}
/** What the page shows of the incident: read from the DOM as a user reads it. */
interface ShownIncident {
  state: string;
  open: boolean;
  severity: string;
  summary: string;
  causes: Array<{ id: string; symptoms: Array<{ id: string; note: string }> }>;
}

// Runs in the page (a string, so the test's Node types need no DOM).
const READ_INCIDENT = `(() => {
  const d = document.querySelector('${INCIDENT}');
  if (!d) return null;
  const idOf = (li) => li.querySelector(':scope > small.muted')?.textContent ?? '';
  return {
    state: d.dataset.state,
    open: d.open,
    severity: d.querySelector('summary .sev')?.textContent ?? '',
    summary: d.querySelector('summary')?.textContent ?? '',
    causes: [...d.querySelectorAll(':scope > ul.incident-members > li')].map((li) => ({
      id: idOf(li),
      symptoms: [...li.querySelectorAll(':scope > ul.symptoms > li')].map((s) => ({
        id: idOf(s),
        note: s.querySelector(':scope > .symptom-of')?.textContent ?? '',
      })),
    })),
  };
})()`;

describe.runIf(peersAvailable('chromium'))('browser: the incident console on the demo site', () => {
  let dir: string;
  let base: string;
  let controlPort: number;
  let child: ReturnType<typeof spawnCli>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** an overview left open through the failure: its counts must follow without a reload */
  let liveOverview: Page;
  const accounts = new Map<string, string>();
  const problems: string[] = [];
  const scenario = (name: string, on: 'on' | 'off') => runCli(['scenario', name, on, '--control', `http://127.0.0.1:${controlPort}`]);
  // The API with the browser's session (same cookies as the page).
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
  const shown = () => page.evaluate(READ_INCIDENT) as Promise<ShownIncident | null>;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'gw-browser-incidents-'));
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
      // the demo starts several simulators (OPC UA is the slowest) before it prints them
      60_000,
      'the demo to print its accounts',
    ).catch((err) => {
      throw new Error(`${err.message}\n--- demo output ---\n${child.output()}`);
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, locale: 'en-US' });
    page = await context.newPage();
    watch(page);
  }, 90_000);

  afterAll(async () => {
    if (controlPort) scenario('power-failure', 'off');
    await browser?.close();
    await stopCli(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('an operator opens the alarm console and sees "Utility power lost" appear without a reload', async () => {
    await page.goto(`${base}/login`);
    await page.fill('input[name="user"]', 'operator');
    await page.fill('input[name="password"]', accounts.get('operator')!);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/`);
    liveOverview = await context.newPage();
    watch(liveOverview);
    await liveOverview.goto(`${base}/`);
    expect(await liveOverview.locator('#overview-incidents').textContent()).toBe('0');
    await page.click('nav a[href="/alarms"]');
    await page.waitForURL(`${base}/alarms`);
    expect(await page.locator('#incidents-title').textContent()).toBe('Incidents');
    expect(await page.locator(INCIDENT).count()).toBe(0);

    const res = scenario('power-failure', 'on');
    expect(res.code, res.stderr).toBe(0);
    // the live stream's alarm events (and a 10 s poll) redraw the incidents: no reload here
    await page.locator(INCIDENT).waitFor({ timeout: 30_000 });
    const incident = await shown();
    expect(incident?.summary).toMatch(/Utility power lost: \d UPS on battery/);
    expect(incident?.severity).toBe('Critical');
    expect(await page.locator(INCIDENT).getAttribute('class')).toMatch(/\bsev-critical\b/);
    expect(incident?.state).toBe('unack');
  }, 60_000);

  it('shows the UPS alarms as causes and, expanded, the Hall A CRACs as symptoms of UPS-2', async () => {
    await page.locator(`${INCIDENT} > summary`).click({ position: { x: 4, y: 4 } });
    const ups2 = (await api<ApiAlarm[]>('/api/v1/alarms')).find((a) => a.id === 'ups2.on-battery');
    expect(ups2?.message).toBeTruthy();
    const incident = await waitFor(
      async () => {
        const now = await shown();
        const symptoms = now?.causes.find((c) => c.id === 'ups2.on-battery')?.symptoms.map((s) => s.id) ?? [];
        return now && now.causes.length === 3 && symptoms.includes('crac1.standby-power') && symptoms.includes('crac2.standby-power') ? now : undefined;
      },
      30_000,
      'the three UPS causes with the CRAC symptoms under UPS-2',
    );
    // expanded (and kept so across redraws), causes at the top level
    expect(incident.open).toBe(true);
    expect(await page.locator(`${INCIDENT} ul.incident-members`).isVisible()).toBe(true);
    expect(incident.causes.map((c) => c.id).sort()).toEqual(['ups1.on-battery', 'ups2.on-battery', 'ups3.on-battery']);
    for (const id of ['crac1.standby-power', 'crac2.standby-power']) {
      const symptom = incident.causes.find((c) => c.id === 'ups2.on-battery')!.symptoms.find((s) => s.id === id);
      expect(symptom?.note, id).toBe(` · symptom of ${ups2!.message}`);
    }
    // the page lists every symptom the API groups under each cause (read until both agree: a
    // rising supply air may add one between the reads)
    await waitFor(
      async () => {
        const fromApi = (await api<ApiIncident[]>('/api/v1/incidents')).find((i) => i.id === 'site-power-failure')!;
        const onPage = (await shown())!;
        const tree = (causes: Array<{ id: string; symptoms: string[] }>) => JSON.stringify(causes.map((c) => `${c.id}:${[...c.symptoms].sort().join(',')}`).sort());
        const apiTree = tree(fromApi.causes.map((c) => ({ id: c.alarm.id, symptoms: c.symptoms.map((s) => s.id) })));
        return apiTree === tree(onPage.causes.map((c) => ({ id: c.id, symptoms: c.symptoms.map((s) => s.id) }))) ? true : undefined;
      },
      15_000,
      'the page to show the incident as the API groups it',
    );
  }, 60_000);

  it('the plain alarm list marks the CRAC alarms as symptoms of UPS-2', async () => {
    const ups2 = (await api<ApiAlarm[]>('/api/v1/alarms')).find((a) => a.id === 'ups2.on-battery')!;
    for (const id of ['crac1.standby-power', 'crac2.standby-power']) {
      const note = page.locator(`#alarm-rows tr[data-alarm-id="${id}"] .symptom-of`);
      await note.waitFor({ timeout: 20_000 });
      expect(await note.textContent()).toBe(` · symptom of ${ups2.message}`);
    }
    // a cause is not marked
    expect(await page.locator('#alarm-rows tr[data-alarm-id="ups2.on-battery"]').count()).toBe(1);
    expect(await page.locator('#alarm-rows tr[data-alarm-id="ups2.on-battery"] .symptom-of').count()).toBe(0);
  }, 30_000);

  it('the operator acknowledges the incident from the page and sees its state change', async () => {
    const button = page.locator(`${INCIDENT} button.incident-ack`);
    expect(await button.textContent()).toBe('Acknowledge');
    await button.click();
    await page.locator(`${INCIDENT}[data-state="acked"]`).waitFor({ timeout: 15_000 });
    expect(await page.locator(`${INCIDENT} > summary .state-chip`).textContent()).toBe('Acknowledged · acknowledged by operator');
    expect(await page.locator(`${INCIDENT} button.incident-ack`).count()).toBe(0);
    const fromApi = (await api<ApiIncident[]>('/api/v1/incidents')).find((i) => i.id === 'site-power-failure')!;
    expect(fromApi.state).toBe('acked');
    // still expanded after the redraw
    expect((await shown())?.open).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'incidents.png'), fullPage: true });
  }, 30_000);

  it.each([
    ['opened now', false],
    ['left open since before the failure', true],
  ])('the overview (%s) counts incidents and causes, not symptoms', async (_, live) => {
    if (!live) {
      await page.click('nav a[href="/"]');
      await page.waitForURL(`${base}/`);
    }
    const view = live ? liveOverview : page;
    // read the page and the API until they agree (an alarm may come or go between the reads)
    const counts = await waitFor(
      async () => {
        const incidents = (await api<ApiIncident[]>('/api/v1/incidents')).filter((i) => i.state !== 'normal').length;
        const attention = (await api<ApiAlarm[]>('/api/v1/alarms')).filter((a) => ATTENTION.has(a.state));
        const causes = attention.filter((a) => !a.causeId);
        const bySeverity = Object.fromEntries(['critical', 'major', 'minor', 'warning'].map((s) => [s, causes.filter((a) => a.severity === s).length]));
        const onPage = {
          incidents: Number(await view.locator('#overview-incidents').textContent()),
          causes: Number(await view.locator('#overview-causes').textContent()),
          bySeverity: Object.fromEntries(
            await Promise.all(['critical', 'major', 'minor', 'warning'].map(async (s) => [s, Number(await view.locator(`[data-sev-count="${s}"] b`).textContent())])),
          ),
        };
        const agree = onPage.incidents === incidents && onPage.causes === causes.length && JSON.stringify(onPage.bySeverity) === JSON.stringify(bySeverity);
        return agree ? { ...onPage, symptoms: attention.filter((a) => a.causeId).map((a) => a.message) } : undefined;
      },
      20_000,
      'the overview counts to match the API',
    );
    expect(counts.incidents).toBe(1);
    // the CRAC alarms (and any other symptom) are left out of every count
    expect(counts.symptoms.length).toBeGreaterThanOrEqual(2);
    expect(counts.causes).toBeGreaterThanOrEqual(3);
    const listed = await view.locator('#overview-alarms li .msg').allTextContents();
    expect(listed.filter((m) => counts.symptoms.includes(m))).toEqual([]);
  }, 40_000);

  it('the Korean page shows the incident section in Korean', async () => {
    const ko = await browser.newContext({ viewport: { width: 1280, height: 1000 }, locale: 'ko-KR', storageState: await context.storageState() });
    try {
      const koPage = await ko.newPage();
      watch(koPage);
      await koPage.goto(`${base}/alarms`);
      expect(await koPage.locator('html').getAttribute('lang')).toBe('ko');
      expect(await koPage.locator('#incidents-title').textContent()).toBe('인시던트');
      await koPage.locator(INCIDENT).waitFor({ timeout: 10_000 });
      expect(await koPage.locator(`${INCIDENT} > summary .sev`).textContent()).toBe('긴급');
    } finally {
      await ko.close();
    }
  }, 30_000);

  it('ran without script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
