/**
 * The configuration page and the YAML of GET /api/v1/config on the whole web app (real auth, real
 * store, the real live-config wiring with its versions database): only admins get the page and
 * its nav link, viewers and operators get 403 and no link; the page has no inline script, is there
 * in Korean, and never shows a secret of the site file; GET /api/v1/config/source gives admins the
 * running file with its token as `[secret]`, put back when that text is checked or applied (and a
 * marker with nothing behind it refused on its line). The applier stands in for the device
 * pollers (it records what it was asked to apply); the validation, diff and versions are real.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveConfigHandle, startLiveConfig } from '../../app/start-live-config.js';
import { loadSiteConfig } from '../../config/index.js';
import type { ConfigDiff } from '../../config/live/diff.js';
import { silentLogger } from '../../core/logger.js';
import { en } from '../../dashboard/i18n/en.js';
import { ko } from '../../dashboard/i18n/ko.js';
import { createWebRig, type WebRig } from '../helpers/web-app.js';

const SECRET = 'tok-9f2c-never-shown';

const site = (name: string) => `gateway: { id: gw-page, dataDir: ./data }
http: { host: 127.0.0.1, port: 0 }
devices:
  - id: ups1
    name: ${name}
    driver: modbus
    connection: { host: 127.0.0.1, port: 5020, unitId: 1 }
    pollIntervalMs: 1000
    points:
      - { key: load, table: holding, address: 0, type: uint16 }
sync:
  targets:
    - { id: ems, kind: http, url: "http://127.0.0.1:9/ingest", token: "${SECRET}" }
`;

describe('the configuration page', () => {
  let dir: string;
  let live: LiveConfigHandle;
  let rig: WebRig;
  let bare: WebRig;
  const applied: ConfigDiff[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-config-page-'));
    const file = join(dir, 'site.yaml');
    writeFileSync(file, site('UPS-1'));
    const config = loadSiteConfig(file);
    mkdirSync(config.gateway.dataDir, { recursive: true });
    live = startLiveConfig({
      config,
      applier: {
        refusals: () => [],
        apply: async (diff) => {
          applied.push(diff);
        },
      },
      deviceStatus: () => [],
      appendEvent: () => undefined,
      logger: silentLogger,
    });
    rig = createWebRig({ extraDeps: { mounts: [live.mount] } });
    bare = createWebRig();
    for (const role of ['viewer', 'operator', 'admin'] as const) await rig.auth.addUser(`${role}-1`, role);
    await bare.auth.addUser('admin-1', 'admin');
  });

  afterAll(() => {
    rig?.close();
    bare?.close();
    live?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const loggedIn = async (r: WebRig, user: string) => {
    const b = r.browser();
    expect((await b.login(user)).status).toBe(303);
    return b;
  };

  it('shows viewers and operators no link, and refuses them the page and the API', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      const b = await loggedIn(rig, `${role}-1`);
      const home = await (await b.request('/')).text();
      expect(home).toContain('href="/system"');
      expect(home).not.toContain('href="/config"');
      const page = await b.request('/config');
      expect(page.status).toBe(403);
      const text = await page.text();
      expect(text).toContain(`The configuration page needs the admin role; ${role}-1 is ${role}.`);
      expect(text).not.toContain('config.js');
      expect((await b.request('/api/v1/config')).status).toBe(403);
      const csrf = await b.csrf();
      const post = await b.request('/api/v1/config?dryRun=1', { method: 'POST', headers: { 'x-csrf-token': csrf }, body: site('x') });
      expect(post.status).toBe(403);
    }
  });

  it('gives an admin the link and the page, with no inline script', async () => {
    const b = await loggedIn(rig, 'admin-1');
    expect(await (await b.request('/')).text()).toContain('<a href="/config">Config</a>');
    const res = await b.request('/config');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const page = await res.text();
    expect(page).toContain('<a href="/config" aria-current="page">Config</a>');
    for (const id of ['config-version', 'config-guard', 'config-yaml', 'config-file', 'config-text', 'config-guard-s', 'config-check', 'config-apply', 'config-versions', 'config-dialog']) {
      expect(page).toContain(`id="${id}"`);
    }
    // every <script> either loads a file of this gateway or is the JSON data block
    const scripts = [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(1);
    for (const [, attrs, content] of scripts) {
      if (/type="application\/json"/.test(attrs!)) continue;
      expect(attrs).toMatch(/src="\/static\/[a-z-]+\.js\?v=/);
      expect(content).toBe('');
    }
    expect(page).toMatch(/src="\/static\/config\.js\?v=/);
    expect(page).toMatch(/href="\/static\/config\.css\?v=/);
    const data = JSON.parse(/<script type="application\/json" id="gw-data">([\s\S]*?)<\/script>/.exec(page)![1]!);
    expect(data.configApi).toBe('/api/v1/config');
    expect(data.maxGuardS).toBe(3600);
    expect(data.messages['config.rollback']).toBe('Roll back to version {n}');
    expect(page).not.toContain(SECRET);
  });

  it('is in Korean, labels and script texts', async () => {
    const b = await loggedIn(rig, 'admin-1');
    expect((await b.request('/config?lang=ko')).status).toBe(303);
    const page = await (await b.request('/config')).text();
    expect(page).toContain('<html lang="ko"');
    expect(page).toContain('<a href="/config" aria-current="page">설정</a>');
    expect(page).toContain('<h1>구성 설정</h1>');
    expect(page).toContain('>검사</button>');
    expect(page).toContain('>적용</button>');
    expect(page).toContain('적용 후 장비 감시 시간 (초, 0: 끔)');
    const data = JSON.parse(/<script type="application\/json" id="gw-data">([\s\S]*?)<\/script>/.exec(page)![1]!);
    expect(data.messages['config.rollback']).toBe('버전 {n}(으)로 되돌리기');
  });

  it('has every page text translated into Korean', () => {
    const keys = (Object.keys(en) as (keyof typeof en)[]).filter((k) => k.startsWith('config.') || k === 'nav.config');
    expect(keys.length).toBeGreaterThan(60);
    // the same text in both catalogs is a missed translation (YAML, a placeholder or a name would be the exceptions)
    expect(keys.filter((k) => ko[k] === en[k])).toEqual([]);
    // and the same placeholders, or a Korean text would print `{n}` or lose a value
    const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    expect(keys.filter((k) => params(ko[k]).join() !== params(en[k]).join())).toEqual([]);
  });

  it('returns the running config as YAML with the secret hidden, and the versions with the diff', async () => {
    const b = await loggedIn(rig, 'admin-1');
    const body = (await (await b.request('/api/v1/config')).json()) as { yaml: string; version: { n: number }; guard: unknown };
    expect(body.version.n).toBe(1);
    expect(body.guard).toBeNull();
    expect(body.yaml).toMatch(/^ {2}- id: ups1\n {4}name: UPS-1$/m);
    expect(body.yaml).toContain('token: "[secret]"');
    expect(body.yaml).not.toContain(SECRET);
    // an apply through the same API the page uses: version 2, its diff names the changed field
    const csrf = await b.csrf();
    const res = await b.request('/api/v1/config?guardS=0', { method: 'POST', headers: { 'x-csrf-token': csrf, 'content-type': 'application/yaml' }, body: site('UPS-1 renamed') });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ applied: true, version: 2, summary: ['devices: ~ ups1 (name)'] });
    expect(applied.map((d) => d.lists.devices.changed)).toEqual([[{ id: 'ups1', fields: ['name'] }]]);
    const after = (await (await b.request('/api/v1/config')).json()) as { yaml: string };
    expect(after.yaml).toMatch(/^ {4}name: UPS-1 renamed$/m);
    expect(after.yaml).not.toContain(SECRET);
  });

  it('gives only admins the running file, its secret as [secret], and puts the secret back on apply', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      const b = await loggedIn(rig, `${role}-1`);
      const res = await b.request('/api/v1/config/source');
      expect(res.status).toBe(403);
      expect(await res.text()).not.toContain(SECRET);
    }
    const b = await loggedIn(rig, 'admin-1');
    const res = await b.request('/api/v1/config/source');
    expect(res.status).toBe(200);
    const raw = await res.text();
    expect(raw).not.toContain(SECRET);
    const source = JSON.parse(raw) as { version: number; text: string; masked: number };
    const running = live.versions.latest()!.n;
    expect(source).toEqual({ version: running, masked: 1, text: live.versions.text(running)!.replace(SECRET, '[secret]') });
    expect(source.text).toContain('token: "[secret]" }');

    // the running file with a device renamed: the check sees only that (the token came back unchanged)
    const csrf = await b.csrf();
    const post = (query: string, body: string) => b.request(`/api/v1/config${query}`, { method: 'POST', headers: { 'x-csrf-token': csrf, 'content-type': 'application/yaml' }, body });
    const edited = source.text.replace(/name: .*/, 'name: UPS-1 from the running file');
    const check = await post('?dryRun=1', edited);
    expect(check.status).toBe(200);
    expect(await check.json()).toMatchObject({ valid: true, summary: ['devices: ~ ups1 (name)'] });
    const apply = await post('?guardS=0', edited);
    expect(apply.status).toBe(200);
    const body = await apply.json();
    expect(body).toMatchObject({ applied: true, version: running + 1, summary: ['devices: ~ ups1 (name)'] });
    expect(JSON.stringify(body)).not.toContain(SECRET);
    // the site file and the version hold the token itself, never the marker
    const written = readFileSync(join(dir, 'site.yaml'), 'utf8');
    expect(written).toBe(edited.replace('[secret]', SECRET));
    expect(live.versions.text(running + 1)).toBe(written);

    // a new target whose token says [secret] has nothing behind it: a problem on its line, nothing changes
    const added = `${edited}    - { id: ems2, kind: http, url: "http://127.0.0.1:9/b", token: [secret] }\n`;
    const line = added.split('\n').findIndex((l) => l.includes('ems2')) + 1;
    for (const query of ['?dryRun=1', '?guardS=0']) {
      const refused = await post(query, added);
      expect(refused.status).toBe(422);
      const problems = ((await refused.json()) as { problems: { line: number; path: string; message: string }[] }).problems;
      expect(problems.map(({ line, path, message }) => ({ line, path, message }))).toEqual([
        { line, path: 'sync.targets[1].token', message: expect.stringMatching(/^\[secret\] stands for a value kept on the gateway, but the running config has none here/) },
      ]);
    }
    expect(live.versions.latest()!.n).toBe(running + 1);
    expect(readFileSync(join(dir, 'site.yaml'), 'utf8')).toBe(written);
  });

  it('is not offered where the gateway runs no live configuration', async () => {
    const b = await loggedIn(bare, 'admin-1');
    expect(await (await b.request('/')).text()).not.toContain('href="/config"');
    const res = await b.request('/config');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('Live configuration is not running on this gateway.');
  });
});
