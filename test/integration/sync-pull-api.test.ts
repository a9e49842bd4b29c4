/** The pull API over real HTTP: tokens and roles, paging through 100 k readings, acks, gaps. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../dashboard/http-server.js';
import { type AuthDb, openAuthDb } from '../../gateway/auth/auth-db.js';
import { createTokenStore } from '../../gateway/auth/tokens.js';
import { silentLogger } from '../../core/logger.js';
import type { Store } from '../../gateway/store/index.js';
import { createPullRoutes } from '../../sync/pull-routes.js';
import { syncSamples } from '../helpers/sync-fixtures.js';
import type { WireBatch } from '../helpers/sync-receiver.js';
import { createTempStores } from '../helpers/temp-store.js';

const TOTAL = 100_000;
const NOW = Date.UTC(2026, 5, 1);
const temp = createTempStores('sync-pull-', { maxBatch: 200_000, now: () => NOW, retention: { maxAgeDays: 1, maxSizeMB: 0 } });

let store: Store;
let authDir: string;
let auth: AuthDb;
let base: string;
let close: () => Promise<void>;
const token: Record<string, string> = {};

interface Page {
  gatewayId: string;
  stream: string;
  after: number;
  nextAfter: number;
  more: boolean;
  gaps: WireBatch['gaps'];
  items: WireBatch['items'];
}

beforeAll(async () => {
  store = temp.open(temp.file());
  store.append(syncSamples(TOTAL, NOW - 1000));
  for (let e = 0; e < 25; e++) store.appendEvent('alarm.raised', { n: e });
  store.flush();
  authDir = mkdtempSync(join(tmpdir(), 'sync-pull-auth-'));
  auth = openAuthDb(join(authDir, 'auth.db'));
  const tokens = createTokenStore(auth);
  for (const role of ['ems', 'admin', 'viewer', 'operator'] as const) token[role] = tokens.create(`t-${role}`, role).token;
  const app = new Hono().route(
    '/api/v1/sync',
    createPullRoutes({ store, gatewayId: 'gw-pull', targets: ['ems-pull'], maxLimit: 10_000, verifyToken: tokens.verifyToken, logger: silentLogger }),
  );
  const server = await startHttpServer(app, '127.0.0.1', 0);
  base = `http://127.0.0.1:${server.port}/api/v1/sync`;
  close = server.close;
});

afterAll(async () => {
  await close?.();
  auth?.close();
  temp.cleanup();
  if (authDir) rmSync(authDir, { recursive: true, force: true });
});

/** `bearer` null: no Authorization header at all */
const get = (path: string, bearer: string | null = token.ems!) =>
  fetch(`${base}${path}`, { headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` } });
const ack = (body: unknown, bearer: string | null = token.ems!) =>
  fetch(`${base}/ack`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }) },
    body: JSON.stringify(body),
  });

describe('pull API', () => {
  it.each([
    { name: 'no token', who: null, status: 401 },
    { name: 'an unknown token', who: `gwt_${'x'.repeat(43)}`, status: 401 },
    { name: 'a viewer token', who: 'viewer', status: 403 },
    { name: 'an operator token', who: 'operator', status: 403 },
    { name: 'an ems token', who: 'ems', status: 200 },
    { name: 'an admin token', who: 'admin', status: 200 },
  ])('answers $name with $status', async ({ who, status }) => {
    const bearer = who === null ? null : (token[who] ?? who);
    const res = await get('/readings?after=0&limit=1', bearer);
    expect(res.status).toBe(status);
    if (status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    if (status !== 200) expect(((await res.json()) as { error: { code: string } }).error.code).toBe(status === 401 ? 'unauthorized' : 'forbidden');
    const ackRes = await ack({ target: 'ems-pull', stream: 'events', seq: 0 }, bearer);
    expect(ackRes.status).toBe(status);
  });

  it(`pages through ${TOTAL} readings in order, without gaps or repeats`, async () => {
    const seen: number[] = [];
    let after = 0;
    let pages = 0;
    const started = performance.now();
    for (;;) {
      const res = await get(`/readings?after=${after}&limit=10000`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as Page;
      pages++;
      expect(page).toMatchObject({ gatewayId: 'gw-pull', stream: 'readings', after, gaps: [] });
      for (const item of page.items) seen.push(item.seq);
      expect(page.nextAfter).toBe(page.items.at(-1)?.seq ?? after);
      after = page.nextAfter;
      if (!page.more) break;
    }
    const seconds = (performance.now() - started) / 1000;
    expect(pages).toBe(TOTAL / 10_000);
    expect(seen).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    console.info(`pull API: ${Math.round(TOTAL / seconds).toLocaleString('en-US')} readings/s over loopback`);
    // the last page says there is no more, and asking again returns an empty page at the same place
    const end = (await (await get(`/readings?after=${TOTAL}`)).json()) as Page;
    expect(end).toMatchObject({ after: TOTAL, nextAfter: TOTAL, more: false, items: [] });
  });

  it('returns the same items the store holds, in the push encoding', async () => {
    const page = (await (await get('/readings?after=99990&limit=5')).json()) as Page;
    const stored = store.readingsAfter(99_990, 5);
    expect(page.items).toEqual(
      stored.map((r) => ({ seq: r.seq, ts: r.ts, point: r.pointId, value: r.value, quality: r.quality, ...(r.reason ? { reason: r.reason } : {}) })),
    );
    expect(page).toMatchObject({ nextAfter: 99_995, more: true });
    const events = (await (await get('/events?after=20')).json()) as Page;
    expect(events.items.map((e) => e.seq)).toEqual([21, 22, 23, 24, 25]);
    expect(events.items[0]).toMatchObject({ type: 'alarm.raised', data: { n: 20 } });
  });

  it('caps the page at maxLimit and checks its parameters', async () => {
    const page = (await (await get('/readings?after=0&limit=50000')).json()) as Page;
    expect(page.items).toHaveLength(10_000);
    expect((await get('/readings?after=-1')).status).toBe(400);
    expect((await get('/readings?after=abc')).status).toBe(400);
    expect((await get('/readings?limit=0')).status).toBe(400);
    expect((await get('/alarms?after=0')).status).toBe(404);
  });

  it('moves the pull cursor on ack, forward only, for configured targets only', async () => {
    const ok = await ack({ target: 'ems-pull', stream: 'readings', seq: 5000 });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ target: 'ems-pull', stream: 'readings', ackedSeq: 5000 });
    expect(store.syncCursor('ems-pull', 'readings')).toBe(5000);
    expect(await (await ack({ target: 'ems-pull', stream: 'readings', seq: 10 })).json()).toMatchObject({ ackedSeq: 5000 });

    const cases: [unknown, string][] = [
      [{ target: 'someone', stream: 'readings', seq: 1 }, 'unknown-target'],
      [{ target: 'ems-pull', stream: 'alarms', seq: 1 }, 'bad-request'],
      [{ target: 'ems-pull', stream: 'readings', seq: -1 }, 'bad-request'],
      [{ target: 'ems-pull', stream: 'readings', seq: '7' }, 'bad-request'],
      [{ target: 'ems-pull', stream: 'readings', seq: TOTAL + 1 }, 'beyond-end'],
    ];
    for (const [body, code] of cases) {
      const res = await ack(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    expect(store.syncCursor('someone', 'readings')).toBe(0);
  });

  it('declares seqs retention deleted as gaps in a page', async () => {
    const gappy = temp.open(temp.file());
    gappy.append(syncSamples(10, NOW));
    gappy.append(syncSamples(10, NOW - 5 * 86_400_000));
    gappy.append(syncSamples(10, NOW));
    gappy.flush();
    gappy.enforceRetention();
    const app = createPullRoutes({ store: gappy, gatewayId: 'g', targets: [], maxLimit: 100, verifyToken: () => ({ name: 'x', role: 'ems' }), logger: silentLogger });
    const page = (await (await app.request('/readings?after=5', { headers: { authorization: 'Bearer x' } })).json()) as Page;
    expect(page.gaps).toEqual([{ fromSeq: 11, toSeq: 20 }]);
    expect(page.items.map((i) => i.seq)).toEqual([6, 7, 8, 9, 10, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    expect(page).toMatchObject({ nextAfter: 30, more: false });
  });
});
