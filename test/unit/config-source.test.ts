/**
 * The central config poller (app/config-source.ts) against a real HTTP server on loopback, with
 * its timers in the test's hands: the interval and its jitter, backoff with jitter on failures and
 * the reset once the source answers, the body bound (declared and streamed), the timeout, no
 * redirects (the token would follow), a text handled once even without ETags, an apply that fails
 * retried, a source changed or removed, and the token never in a status. Plus the schema of
 * `configSource:` (http(s) only, no credentials in the URL, bounded interval).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CentralApplyOutcome, type CentralOutcome, createConfigSource, statusUrl, type Timers } from '../../app/config-source.js';
import { configSourceSchema } from '../../config/live/config-source-schema.js';
import { SITE_FILE_UNWRITABLE } from '../../config/live/live-config.js';
import { parseSiteConfig } from '../../config/loader.js';
import { formatProblem } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { Secret } from '../../core/secret.js';

const TOKEN = 'unit-central-token-77';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback server whose answer each test sets; it records what it was asked. */
async function startServer(): Promise<{ url: string; server: Server; seen: IncomingMessage['headers'][]; answer(h: Handler): void; close(): Promise<void> }> {
  let handler: Handler = (_req, res) => res.writeHead(404).end();
  const seen: IncomingMessage['headers'][] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/gw/secret-path/config`,
    server,
    seen,
    answer(h) {
      handler = h;
    },
    close() {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** Timers the test fires by hand: the poller's schedule is read from `delays`. */
function handTimers(): Timers & { delays: number[]; pending: number } {
  const live = new Set<number>();
  let next = 0;
  const t = {
    delays: [] as number[],
    get pending() {
      return live.size;
    },
    set(_fn: () => void, ms: number) {
      t.delays.push(ms);
      live.add(++next);
      return next;
    },
    clear(h: unknown) {
      live.delete(h as number);
    },
  };
  return t;
}

describe('central config poller', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let timers: ReturnType<typeof handTimers>;
  let applied: string[];
  let outcomes: CentralOutcome[];
  let applyResult: () => Promise<CentralApplyOutcome>;
  let random: number;

  const section = (over: Partial<{ url: string; intervalS: number }> = {}) => ({ url: srv.url, token: new Secret(TOKEN), intervalS: 60, guardS: 0, ...over });
  const make = (extra: { timeoutMs?: number; maxBytes?: number } = {}) =>
    createConfigSource({
      gatewayId: 'gw1',
      apply: async (text) => {
        applied.push(text);
        return applyResult();
      },
      report: (o) => outcomes.push(o),
      logger: silentLogger,
      timers,
      random: () => random,
      postStatus: false,
      ...extra,
    });

  beforeEach(async () => {
    srv = await startServer();
    timers = handTimers();
    applied = [];
    outcomes = [];
    applyResult = async () => ({ status: 'applied', summary: ['devices: + x'], version: 7 });
    random = 0;
  });
  afterEach(() => srv.close());

  it('polls at the interval, up to a tenth later, and waits at most 10 s before the first poll', async () => {
    srv.answer((_req, res) => res.writeHead(304).end());
    const src = make();
    src.configure(section());
    expect(timers.delays).toEqual([10_000]);
    await src.pollNow();
    random = 1;
    await src.pollNow();
    expect(timers.delays).toEqual([10_000, 60_000, 66_000]);
    expect(src.status()).toMatchObject({ error: null, outcome: null, etag: null });
    src.stop();
  });

  it('backs off with jitter while the source fails, and polls at the interval again once it answers', async () => {
    srv.answer((_req, res) => res.writeHead(503).end());
    const src = make();
    src.configure(section({ intervalS: 10 }));
    random = 1;
    for (let i = 0; i < 9; i++) await src.pollNow();
    // 10 s doubling, capped at 15 min; random 1 is the top of each window
    expect(timers.delays.slice(1)).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 900_000, 900_000]);
    random = 0;
    await src.pollNow();
    // the lower half of the window: never in step with other gateways that failed together
    expect(timers.delays.at(-1)).toBe(450_000);
    expect(src.status()!.error).toMatchObject({ message: `http://127.0.0.1:${new URL(srv.url).port} answered HTTP 503`, failures: 10 });
    srv.answer((_req, res) => res.writeHead(304).end());
    await src.pollNow();
    expect(timers.delays.at(-1)).toBe(10_000);
    expect(src.status()!.error).toBeNull();
    src.stop();
  });

  it('sends the token and the last ETag, applies a new text once, and reports the outcome', async () => {
    srv.answer((req, res) => {
      if (req.headers['if-none-match'] === '"v1"') res.writeHead(304).end();
      else res.writeHead(200, { etag: '"v1"' }).end('text one');
    });
    const src = make();
    src.configure(section());
    await src.pollNow();
    await src.pollNow();
    expect(srv.seen.map((h) => [h.authorization, h['if-none-match']])).toEqual([
      [`Bearer ${TOKEN}`, undefined],
      [`Bearer ${TOKEN}`, '"v1"'],
    ]);
    expect(applied).toEqual(['text one']);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ result: 'applied', version: 7, etag: '"v1"', changes: ['devices: + x'] });
    expect(src.status()).toMatchObject({ etag: '"v1"', outcome: { result: 'applied', version: 7 } });
    // the guard undoing it is reported as such; another version is not this one
    src.noteRolledBack(6, 8, 'not ours');
    src.noteRolledBack(7, 8, 'device ups2 went down');
    expect(outcomes.map((o) => o.result)).toEqual(['applied', 'rolled-back']);
    expect(outcomes[1]).toMatchObject({ version: 7, restored: 8, reason: 'device ups2 went down', hash: outcomes[0]!.hash });
    src.stop();
  });

  it('handles a text once even from a source without ETags', async () => {
    srv.answer((_req, res) => res.writeHead(200).end('same text'));
    applyResult = async () => ({ status: 'refused', summary: [], refusals: ['http.port: needs a restart'] });
    const src = make();
    src.configure(section());
    for (let i = 0; i < 3; i++) await src.pollNow();
    expect(applied).toEqual(['same text']);
    expect(outcomes).toEqual([expect.objectContaining({ result: 'refused', refusals: ['http.port: needs a restart'], etag: null })]);
    src.stop();
  });

  it('fetches a text again after its apply failed (the ETag is not kept)', async () => {
    srv.answer((req, res) => (req.headers['if-none-match'] === '"v1"' ? res.writeHead(304).end() : res.writeHead(200, { etag: '"v1"' }).end('text')));
    let fail = true;
    applyResult = async () => {
      if (fail) throw new Error('disk gone');
      return { status: 'unchanged' };
    };
    const src = make();
    src.configure(section());
    await src.pollNow();
    expect(src.status()!.error).toMatchObject({ message: 'apply failed: disk gone', failures: 1 });
    fail = false;
    await src.pollNow();
    expect(srv.seen.map((h) => h['if-none-match'])).toEqual([undefined, undefined]);
    expect(applied).toEqual(['text', 'text']);
    expect(outcomes.map((o) => o.result)).toEqual(['unchanged']);
    src.stop();
  });

  it('retries a text the site file could not take (a passing fault), reporting nothing until it is handled', async () => {
    srv.answer((req, res) => (req.headers['if-none-match'] === '"v1"' ? res.writeHead(304).end() : res.writeHead(200, { etag: '"v1"' }).end('text')));
    const refusal = `${SITE_FILE_UNWRITABLE} (EROFS); nothing changed`;
    const results: CentralApplyOutcome[] = [{ status: 'refused', summary: [], refusals: [refusal] }, { status: 'applied', summary: [], version: 3 }];
    applyResult = async () => results.shift()!;
    const src = make();
    src.configure(section());
    random = 1;
    await src.pollNow();
    expect(src.status()!.error).toMatchObject({ message: `apply failed: ${refusal}`, failures: 1 });
    expect(timers.delays.at(-1)).toBe(60_000);
    expect(outcomes).toEqual([]);
    await src.pollNow();
    expect(srv.seen.map((h) => h['if-none-match'])).toEqual([undefined, undefined]);
    expect(outcomes.map((o) => [o.result, o.version])).toEqual([['applied', 3]]);
    src.stop();
  });

  it('stops reading a body beyond the bound, declared or streamed, and applies nothing', async () => {
    const src = make({ maxBytes: 1000 });
    src.configure(section());
    srv.answer((_req, res) => res.writeHead(200, { 'content-length': '1001' }).end('x'.repeat(1001)));
    await src.pollNow();
    expect(src.status()!.error!.message).toContain('the config is 1001 bytes, more than the 1000 a site file may have');
    // chunked: no length up front, counted as it comes
    srv.answer((_req, res) => {
      res.writeHead(200);
      res.write('y'.repeat(600));
      res.end('y'.repeat(600));
    });
    await src.pollNow();
    expect(src.status()!.error!.message).toContain('more than the 1000 bytes a site file may have');
    expect(applied).toEqual([]);
    src.stop();
  });

  it('gives up on a source that does not answer, and follows no redirect', async () => {
    const src = make({ timeoutMs: 300 });
    src.configure(section());
    srv.answer(() => undefined);
    await src.pollNow();
    expect(src.status()!.error!.message).toMatch(/no answer within 300 ms$/);
    const other = await startServer();
    try {
      srv.answer((_req, res) => res.writeHead(302, { location: other.url }).end());
      await src.pollNow();
      expect(src.status()!.error!.message).toBe(`http://127.0.0.1:${new URL(srv.url).port}: unexpected redirect`);
      expect(other.seen).toEqual([]);
      expect(applied).toEqual([]);
    } finally {
      await other.close();
    }
    src.stop();
  });

  it('shows the source as scheme://host:port and never the token, and follows configure', async () => {
    srv.answer((_req, res) => res.writeHead(401).end());
    const src = make();
    src.configure(section());
    await src.pollNow();
    const shown = JSON.stringify(src.status());
    expect(shown).not.toContain(TOKEN);
    expect(shown).not.toContain('secret-path');
    expect(src.status()!.url).toBe(`http://127.0.0.1:${new URL(srv.url).port}`);
    // a new interval polls at once on the new schedule; removing the source stops it
    src.configure(section({ intervalS: 5 }));
    expect(timers.delays.at(-1)).toBe(0);
    expect(src.status()).toMatchObject({ intervalS: 5, error: null });
    src.configure(undefined);
    expect(src.status()).toBeNull();
    expect(timers.pending).toBe(0);
    await src.pollNow();
    expect(srv.seen).toHaveLength(1);
  });

  it('posts outcomes to <url>/status, the query kept', () => {
    expect(statusUrl('https://ems.example/gw/config?site=dc1')).toBe('https://ems.example/gw/config/status?site=dc1');
    expect(statusUrl('https://ems.example/gw/config/')).toBe('https://ems.example/gw/config/status');
  });
});

describe('configSource schema', () => {
  const parse = (v: unknown) => configSourceSchema.safeParse(v);
  it('takes an http(s) URL and a token, with a bounded interval defaulting to 60 s', () => {
    const ok = parse({ url: 'https://ems.example/config', token: 'abc' });
    expect(ok.success && ok.data.intervalS).toBe(60);
    expect(ok.success && ok.data.guardS).toBe(60);
    expect(ok.success && ok.data.token instanceof Secret).toBe(true);
    expect(ok.success && JSON.stringify(ok.data)).not.toContain('abc');
    for (const bad of [
      { url: 'ftp://ems.example/config', token: 'abc' },
      { url: 'not a url', token: 'abc' },
      { url: 'https://user:pw@ems.example/config', token: 'abc' },
      { url: 'https://ems.example/config', token: 'abc', intervalS: 0 },
      { url: 'https://ems.example/config', token: 'abc', intervalS: 86_401 },
      { url: 'https://ems.example/config' },
      { url: 'https://ems.example/config', token: 'abc', extra: 1 },
    ]) {
      expect(parse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
  it('is a site-file section: loaded into the config, its problems located by line', () => {
    const text = (url: string) => `gateway: { id: gw1 }\ndevices: []\nconfigSource:\n  url: ${url}\n  token: abc\n  intervalS: 30\n`;
    const ok = parseSiteConfig(text('https://ems.example/config'), '/site/site.yaml');
    expect(ok.config?.configSource).toMatchObject({ url: 'https://ems.example/config', intervalS: 30, guardS: 60 });
    const bad = parseSiteConfig(text('https://u:p@ems.example/config'), '/site/site.yaml');
    expect(bad.problems.map(formatProblem)).toEqual(['/site/site.yaml:4 configSource.url: must not hold a user or password (put the credential in token)']);
  });
  it('never echoes a token of the wrong type', () => {
    const r = parse({ url: 'https://ems.example/config', token: 12345678 });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues.map((i) => i.message))).not.toContain('12345678');
  });
});
