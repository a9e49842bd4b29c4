/**
 * What the gateway's HTTP side gives away, read as a list of guarantees (issue 10, items 1, 8, 12
 * and 13). Someone on the plant-room LAN without a login learns the status, the version and how
 * many devices are up, nothing more; no URL the gateway shows or logs carries more than
 * `scheme://host:port`; a revoked API token loses its live stream; one login cannot hold more than
 * a few live streams; the data folder is readable by the gateway's user only.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import { createAlarmNotifier } from '../../gateway/alarms/index.js';
import type { WebhookTarget } from '../../gateway/alarms/types.js';
import { openAuthDb } from '../../gateway/auth/auth-db.js';
import { tokenCommand } from '../../app/commands/token.js';
import { userCommand } from '../../app/commands/user.js';
import { createLogger, silentLogger } from '../../core/logger.js';
import { publicUrl, scrubUrls } from '../../core/redact-url.js';
import { createSelfHealth } from '../../core/self-health.js';
import { startGateway } from '../../app/start-gateway.js';
import { createSync } from '../../sync/create-sync.js';
import { createHttpTransport } from '../../sync/http-transport.js';
import { alarmRig, discreteRule } from '../helpers/alarm-fixtures.js';
import { httpTarget, syncSamples, syncSection, until } from '../helpers/sync-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';
import { createWebRig, type WebRig } from '../helpers/web-app.js';

/** A URL carrying every kind of secret a URL can carry. */
const SECRET_URL = 'https://hook-user:hook-pass@hooks.example.com/services/T0001/B0001/xyzzy?token=s3cr3t';
/** What may be seen of any of them. */
const SECRET_PARTS = ['hook-user', 'hook-pass', 'T0001', 'xyzzy', 's3cr3t', 'token='];

function expectNoSecrets(text: string): void {
  for (const part of SECRET_PARTS) expect(text, `"${part}" leaked`).not.toContain(part);
}

/** A logger that keeps its lines. */
function capturingLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ write: (l) => lines.push(l), repeat: false, level: 'debug' }) };
}

/** An SSE response read as it arrives, without cancelling it between reads. */
function sseReader(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: Array<{ event: string; data: string }> = [];
  let buffer = '';
  let done = false;
  const pump = (async () => {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          if (event) events.push({ event, data: [...block.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).join('\n') });
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // cancelled by the test
    }
    done = true;
  })();
  return {
    events,
    get done() {
      return done;
    },
    /** resolves with the ms it took for the server to end the stream, or rejects after timeoutMs */
    async ended(timeoutMs: number): Promise<number> {
      const started = performance.now();
      await Promise.race([pump, new Promise((_, reject) => setTimeout(() => reject(new Error('the stream is still open')), timeoutMs))]);
      return performance.now() - started;
    },
    async saw(event: string, timeoutMs = 3000): Promise<void> {
      const deadline = performance.now() + timeoutMs;
      while (!events.some((e) => e.event === event)) {
        if (performance.now() > deadline || done) throw new Error(`no "${event}" event`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
}

describe('1. no secret on the public health answer, the system API, errors or logs', () => {
  describe('the shared URL reduction', () => {
    it.each([
      [SECRET_URL, 'https://hooks.example.com:443'],
      ['http://u:p@10.0.0.5:8080/ingest/site-7?key=abc#frag', 'http://10.0.0.5:8080'],
      ['mqtts://user:pw@broker.site.lan/x', 'mqtts://broker.site.lan:8883'],
      ['wss://[fe80::1]:9001/mqtt?auth=1', 'wss://[fe80::1]:9001'],
    ])('%s is shown as %s: scheme://host:port, no user, password, path or query', (url, shown) => {
      expect(publicUrl(url)).toBe(shown);
    });

    it('a URL that does not parse is never echoed', () => {
      expect(publicUrl('https://user:pw@exa mple.com/x?token=s3cr3t')).toBe('https://?');
      expect(publicUrl('not a url ?token=s3cr3t')).toBe('(invalid url)');
    });

    it('every URL inside free text (an error message) is reduced, the rest of the text kept', () => {
      const text = `Request cannot be constructed from a URL that includes credentials: ${SECRET_URL}. Also (see http://a:b@10.1.1.1/p?q=1), done`;
      expect(scrubUrls(text)).toBe(
        'Request cannot be constructed from a URL that includes credentials: https://hooks.example.com:443. Also (see http://10.1.1.1:80), done',
      );
    });

    it('the log writes every URL in a field value as scheme://host:port', () => {
      const { lines, logger } = capturingLogger();
      logger.warn('something failed', { err: `POST ${SECRET_URL}: refused`, target: SECRET_URL, targets: [SECRET_URL], error: new Error(`at ${SECRET_URL}`) });
      expect(lines).toHaveLength(1);
      expectNoSecrets(lines[0]!);
      expect(JSON.parse(lines[0]!)).toMatchObject({ err: 'POST https://hooks.example.com:443: refused', target: 'https://hooks.example.com:443' });
    });
  });

  describe('GET /api/v1/health', () => {
    let rig: WebRig;
    beforeAll(() => {
      const selfHealth = createSelfHealth();
      selfHealth.raise('storage', 'database commits failing: disk full');
      rig = createWebRig({
        extraDeps: {
          selfHealth,
          // Sections come from sync, alarms and the broker; one that (wrongly) carries raw URLs:
          healthSections: {
            sync: () => ({ targets: [{ id: 'ems', url: SECRET_URL, lastError: { message: `POST ${SECRET_URL}: fetch failed` } }] }),
            mqtt: () => ({ clients: 3 }),
          },
        },
      });
    });
    afterAll(() => rig.close());

    it('without a login answers status, version and device counts only', async () => {
      const res = await rig.app.request('/api/v1/health');
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['devices', 'status', 'version']);
      expect(body).toEqual({ status: 'degraded', version: '9.9.9', devices: { total: 3, up: 3, degraded: 0, down: 0, connecting: 0 } });
      expect(res.headers.get('cache-control')).toBe('no-store');
    });

    it.each(['viewer', 'operator', 'admin', 'ems'] as const)('an API token of role %s gets the full view: conditions, store, sync, broker', async (role) => {
      const body = (await (await rig.app.request('/api/v1/health', { headers: rig.auth.bearer(role) })).json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 'degraded', gatewayId: 'gw-web', version: '9.9.9', mqtt: { clients: 3 } });
      expect(body.conditions).toEqual([expect.objectContaining({ id: 'storage', reason: 'database commits failing: disk full' })]);
      expect(body).toHaveProperty('store');
      expect(body).toHaveProperty('sync');
    });

    it('a browser session gets the full view too (the system and overview pages read it)', async () => {
      await rig.auth.addUser('olivia', 'viewer');
      const browser = rig.browser();
      expect((await browser.login('olivia')).status).toBe(303);
      const body = (await (await browser.request('/api/v1/health')).json()) as Record<string, unknown>;
      expect(body).toHaveProperty('sync');
      expect(body).toHaveProperty('conditions');
    });

    it('a stale session cookie gets the public view, a wrong API token a 401', async () => {
      const stale = (await (await rig.app.request('/api/v1/health', { headers: { cookie: 'gw_session=not-a-session' } })).json()) as Record<string, unknown>;
      expect(Object.keys(stale).sort()).toEqual(['devices', 'status', 'version']);
      const wrong = await rig.app.request('/api/v1/health', { headers: { authorization: 'Bearer gwt_wrong' } });
      expect(wrong.status).toBe(401);
    });

    it('even a logged-in caller sees every URL in it as scheme://host:port', async () => {
      const text = await (await rig.app.request('/api/v1/health', { headers: rig.auth.bearer('viewer') })).text();
      expectNoSecrets(text);
      expect(JSON.parse(text).sync.targets[0]).toEqual({ id: 'ems', url: 'https://hooks.example.com:443', lastError: { message: 'POST https://hooks.example.com:443: fetch failed' } });
    });

    it('Prometheus /metrics still needs a token', async () => {
      expect((await rig.app.request('/metrics')).status).toBe(401);
      expect((await rig.app.request('/metrics', { headers: rig.auth.bearer('viewer') })).status).toBe(200);
    });
  });

  describe('where the URLs come from', () => {
    const temp = createTempStores('gw-exposure-');
    let hook: Server;
    let hookUrl: string;
    beforeAll(async () => {
      // A webhook receiver that is down for maintenance.
      hook = createServer((_req, res) => res.writeHead(503).end());
      await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
      hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((r) => hook.close(r));
      temp.cleanup();
    });

    it('a sync target whose URL holds credentials, path and query shows only scheme://host:port in health, lastError and the log', async () => {
      const store = temp.open(temp.file());
      store.append(syncSamples(20));
      store.flush();
      const { lines, logger } = capturingLogger();
      // fetch refuses a URL with user:password and quotes the whole URL in its error.
      const url = 'http://ems-user:ems-pass@127.0.0.1:9/ingest/T0001/xyzzy?token=s3cr3t';
      const sync = await createSync({
        config: syncSection([httpTarget(url, { retryInitialMs: 5000, retryMaxMs: 5000 })]),
        gatewayId: 'gw',
        version: '0',
        startedAt: Date.now(),
        store,
        logger,
      });
      try {
        sync.start();
        await until(() => sync.health().targets[0]!.lastError !== null, 5000, 'the first failure');
        const target = sync.health().targets[0]!;
        expect(target.url).toBe('http://127.0.0.1:9');
        expect(target.lastError!.message).toContain('http://127.0.0.1:9');
        const shown = JSON.stringify(sync.health()) + lines.join('\n');
        for (const part of ['ems-user', 'ems-pass', 'T0001', 'xyzzy', 's3cr3t', '/ingest']) expect(shown, part).not.toContain(part);
      } finally {
        await sync.stop();
      }
    });

    it("a receiver's redirect or error answer that quotes a URL is reported with scheme://host:port only", async () => {
      // answers in turn: a redirect to a secret URL, then an error page quoting one
      const answers = [
        (res: ServerResponse) => res.writeHead(302, { location: `${SECRET_URL}&more=1` }).end(),
        (res: ServerResponse) => res.writeHead(400).end(`bad request, see ${SECRET_URL}`),
      ];
      let n = 0;
      const receiver = createServer((req, res) => {
        req.resume();
        answers[n++ % answers.length]!(res);
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/ingest`;
      try {
        const transport = createHttpTransport({ target: httpTarget(url, { gzip: false }), gatewayId: 'gw', version: '0' });
        const batch = { stream: 'readings', fromSeq: 1, toSeq: 1, count: 1, gaps: [], oldestTs: 0, lastSeq: 1, itemsJson: '[]', rows: [], body: '{}' } as const;
        const messages: string[] = [];
        for (let i = 0; i < answers.length; i++) {
          const outcome = await transport.send({ ...batch, gaps: [] }, Buffer.from('{}'), new AbortController().signal);
          expect(outcome.ok).toBe(false);
          if (!outcome.ok) messages.push(outcome.message);
        }
        expect(messages[0]).toContain('redirected to https://hooks.example.com:443');
        expect(messages[1]).toContain('see https://hooks.example.com:443');
        expectNoSecrets(messages.join('\n'));
      } finally {
        await new Promise((r) => receiver.close(r));
      }
    });

    it('a failing alarm webhook: health, GET /api/v1/health, GET /api/v1/system and the warn log show scheme://host:port only', async () => {
      const store = temp.open(temp.file());
      const { lines, logger } = capturingLogger();
      const target = (url: string): WebhookTarget => ({ type: 'webhook', url, headers: {}, severities: ['critical'], kinds: ['raised'], timeoutMs: 1000, retries: 0 });
      const notifier = createAlarmNotifier({
        // one answers 503 to a secret path; one has credentials in its URL, which fetch quotes when it refuses
        targets: [target(`${hookUrl}/services/T0001/B0001/xyzzy?token=s3cr3t`), target(SECRET_URL)],
        gatewayId: 'gw',
        logger,
      });
      store.onCommit((batch) => notifier.notify(batch.events));
      const alarms = alarmRig(store, [discreteRule('ups1.on-battery', 'ups1.on_battery', { op: 'equals', value: true }, { severity: 'critical' })], {
        notifyHealth: () => notifier.health(),
      });
      const rig = createWebRig({ extraDeps: { alarms: alarms.engine, healthSections: { alarms: () => alarms.engine.health() } } });
      try {
        alarms.feed({ 'ups1.on_battery': true });
        // commits the raise, which the notifier hears
        expect(alarms.events().map((e) => e.type)).toContain('alarm.raised');
        await notifier.idle(5000);
        const health = notifier.health();
        expect(health.map((h) => h.target)).toEqual([hookUrl, 'https://hooks.example.com:443']);
        expect(health.every((h) => h.failed === 1 && h.lastError !== null)).toBe(true);
        expect(health[1]!.lastError).toContain('https://hooks.example.com:443');
        const viewer = { headers: rig.auth.bearer('viewer') };
        const shown = [
          JSON.stringify(health),
          await (await rig.app.request('/api/v1/health', viewer)).text(),
          await (await rig.app.request('/api/v1/system', viewer)).text(),
          ...lines,
        ].join('\n');
        expect(lines.some((l) => l.includes('alarm notification failed'))).toBe(true);
        expectNoSecrets(shown);
      } finally {
        rig.close();
        alarms.engine.stop();
        await notifier.close();
      }
    });
  });
});

describe('8. a live stream ends soon after its credential does', () => {
  let rig: WebRig;
  beforeAll(() => {
    rig = createWebRig();
  });
  afterAll(() => rig.close());

  it("a stream opened with an API token closes within 15 s of the token's revocation; another token's stream stays", { timeout: 25_000 }, async () => {
    const revoked = rig.auth.tokens.create('wallboard', 'viewer').token;
    const kept = rig.auth.tokens.create('kiosk', 'viewer').token;
    const open = async (token: string) => sseReader(await rig.app.request('/api/v1/live?alarms=1', { headers: { authorization: `Bearer ${token}` } }));
    const doomed = await open(revoked);
    const staying = await open(kept);
    await doomed.saw('hello');
    await staying.saw('hello');
    expect(rig.auth.tokens.revoke('wallboard')).toBe(true);
    const tookMs = await doomed.ended(15_000);
    expect(tookMs).toBeLessThan(15_000);
    expect(staying.done).toBe(false);
    await staying.cancel();
  });

  it('a stream opened with a browser session closes within 15 s of logging out', { timeout: 25_000 }, async () => {
    await rig.auth.addUser('paula', 'viewer');
    const browser = rig.browser();
    await browser.login('paula');
    const stream = sseReader(await browser.request('/api/v1/live?alarms=1'));
    await stream.saw('hello');
    const res = await browser.request('/logout', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${await browser.csrf()}` });
    expect(res.status).toBeLessThan(400);
    expect(await stream.ended(15_000)).toBeLessThan(15_000);
  });
});

describe('12. the data folder and its files are private, whatever the umask', () => {
  let dir: string;
  let umask: number;
  beforeAll(() => {
    // The usual default, under which new files are world-readable unless the gateway says otherwise.
    umask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(umask);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const mode = (path: string) => statSync(path).mode & 0o777;

  it('a gateway run leaves dataDir 0700 and gateway.db, its WAL and shm, auth.db 0600 — also tightening an older 0755/0644 install', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-perm-'));
    const dataDir = join(dir, 'data');
    // An install from before: folder and files world-readable.
    mkdirSync(dataDir, { mode: 0o755 });
    writeFileSync(join(dataDir, 'auth.db'), '', { mode: 0o644 });
    const configFile = join(dir, 'site.yaml');
    const yaml = `gateway: { id: perm-test, dataDir: ${dataDir} }\nhttp: { host: 127.0.0.1, port: 0 }\ndevices: []\n`;
    const parsed = parseSiteConfig(yaml, configFile);
    expect(parsed.problems).toEqual([]);
    const gw = await startGateway(parsed.config!, { logger: silentLogger, version: '0.0.0', firstAdmin: false });
    try {
      expect(mode(dataDir)).toBe(0o700);
      for (const file of ['gateway.db', 'gateway.db-wal', 'gateway.db-shm', 'auth.db', 'auth.db-wal', 'auth.db-shm']) {
        expect(mode(join(dataDir, file)), file).toBe(0o600);
      }
    } finally {
      await gw.stop();
    }
  });

  it.each([
    ['token', () => tokenCommand('list', { dataDir: join(dir, 'fresh') })],
    ['user', () => userCommand('list', { dataDir: join(dir, 'fresh') })],
  ])('`gateway %s list` on a new data folder creates it 0700 and auth.db 0600', async (_name, run) => {
    dir = mkdtempSync(join(tmpdir(), 'gw-perm-cli-'));
    const write = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(await run()).toBe(0);
    } finally {
      process.stderr.write = write;
    }
    expect(mode(join(dir, 'fresh'))).toBe(0o700);
    expect(mode(join(dir, 'fresh', 'auth.db'))).toBe(0o600);
  });

  it('an auth database opened by any other path (a test, a tool) is created 0600 with its WAL', () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-perm-db-'));
    const db = openAuthDb(join(dir, 'auth.db'));
    try {
      db.prepare('CREATE TABLE IF NOT EXISTS t (x)').run();
      expect(mode(join(dir, 'auth.db'))).toBe(0o600);
      expect(mode(join(dir, 'auth.db-wal'))).toBe(0o600);
    } finally {
      db.close();
    }
  });
});

describe('13. one login holds a bounded number of live streams', () => {
  it('the 11th stream of one API token closes its oldest (which hears "bye" first); the other 10 and other tokens stay', { timeout: 20_000 }, async () => {
    const rig = createWebRig();
    const streams: ReturnType<typeof sseReader>[] = [];
    try {
      const token = rig.auth.bearer('viewer');
      for (let i = 0; i < 11; i++) {
        const s = sseReader(await rig.app.request('/api/v1/live?alarms=1', { headers: token }));
        await s.saw('hello');
        streams.push(s);
      }
      const other = sseReader(await rig.app.request('/api/v1/live?alarms=1', { headers: rig.auth.bearer('operator') }));
      streams.push(other);
      await other.saw('hello');
      await streams[0]!.ended(3000);
      expect(streams[0]!.events.at(-1)).toEqual({ event: 'bye', data: '{"reason":"too-many-streams"}' });
      await new Promise((r) => setTimeout(r, 300));
      expect(streams.slice(1).map((s) => s.done)).toEqual(Array(11).fill(false));
    } finally {
      for (const s of streams) await s.cancel();
      rig.close();
    }
  });

  it('the cap is http.maxLiveStreams (default 10), per user across browser sessions', { timeout: 20_000 }, async () => {
    const parsed = parseSiteConfig('gateway: { id: t }\ndevices: []\n', '/tmp/site.yaml');
    expect(parsed.config!.http.maxLiveStreams).toBe(10);
    expect(parseSiteConfig('gateway: { id: t }\nhttp: { maxLiveStreams: 0 }\ndevices: []\n', '/tmp/site.yaml').problems).toHaveLength(1);

    const rig = createWebRig({ extraDeps: { maxLiveStreams: 2 } });
    const streams: ReturnType<typeof sseReader>[] = [];
    try {
      await rig.auth.addUser('quinn', 'viewer');
      // Two browsers (two sessions) of the same user share the cap.
      const a = rig.browser();
      const b = rig.browser();
      await a.login('quinn');
      await b.login('quinn');
      for (const browser of [a, b, b]) {
        const s = sseReader(await browser.request('/api/v1/live?alarms=1'));
        await s.saw('hello');
        streams.push(s);
      }
      await streams[0]!.ended(3000);
      expect(streams[1]!.done).toBe(false);
      expect(streams[2]!.done).toBe(false);
    } finally {
      for (const s of streams) await s.cancel();
      rig.close();
    }
  });
});
