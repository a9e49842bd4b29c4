/**
 * The web page's own API and pages through app.request(): overview content, languages, trends
 * from raw readings and rollups, CSV, the system view, static assets, and the live stream.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SystemInfo } from '../../dashboard/system-model.js';
import type { TrendResult } from '../../dashboard/trend-data.js';
import { createWebRig, type WebRig } from '../helpers/web-app.js';

const MIN = 60_000;
type TrendBody = TrendResult;

/** Reads SSE events from a streaming response until `until` is satisfied or the time is up. */
async function readEvents(res: Response, until: (events: Array<{ event: string; data: string }>) => boolean, timeoutMs = 3000) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: Array<{ event: string; data: string }> = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  try {
    while (!until(events) && Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now()))]);
      if (!chunk || chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = [...block.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).join('\n');
        if (event) events.push({ event, data });
        end = buffer.indexOf('\n\n');
      }
    }
  } finally {
    await reader.cancel();
  }
  return events;
}

describe('web pages and API', () => {
  let rig: WebRig;
  const get = (path: string, headers: Record<string, string> = {}) => rig.app.request(path, { headers: { ...rig.auth.bearer('viewer'), ...headers } });
  beforeEach(() => {
    rig = createWebRig();
  });
  afterEach(() => rig.close());

  it('the overview groups devices by kind and location, escapes names and shows the key figures', async () => {
    rig.store.append([
      { pointId: 'ups1.output_load', ts: Date.now(), value: 41.25, quality: 'good' },
      { pointId: 'ups1.runtime_remaining', ts: Date.now(), value: 18, quality: 'good' },
      { pointId: 'crac1.supply_temp', ts: Date.now(), value: 21.5, quality: 'good' },
      { pointId: 'pdu1.total_power', ts: Date.now(), value: 3.5, quality: 'good' },
    ]);
    rig.store.flush();
    const html = await (await get('/')).text();
    expect(html).toContain('UPS-1 &#60;Hall A&#62;');
    expect(html).not.toContain('<Hall A>');
    const kinds = [...html.matchAll(/<h2 id="kind-(\w+)"/g)].map((m) => m[1]);
    expect(kinds).toEqual(['ups', 'hvac', 'pdu']);
    expect(html).toMatch(/data-figure="ups-load"[^>]*>\s*<span class="label">UPS load \(max\)<\/span><span class="big">41.25 %<\/span>/);
    expect(html).toMatch(/data-figure="pdu-power"[\s\S]*?<span class="big">3.5 kW<\/span>/);
    expect(html).toContain('data-point="ups1.output_load"');
  });

  it('the overview colours a device with an active alarm and one whose comm is down, and counts alarms by severity', async () => {
    rig.alarms.feed({ 'ups1.on_battery': true });
    rig.statuses[1] = { ...rig.statuses[1]!, state: 'down' };
    const html = await (await get('/')).text();
    expect(html).toMatch(/class="tile h-alarm sev-critical" href="\/devices\/ups1"/);
    expect(html).toMatch(/class="tile h-comm-down" href="\/devices\/crac1"/);
    expect(html).toMatch(/data-sev-count="critical"><b>1<\/b>/);
    expect(html).toContain('UPS-1 on battery');
    expect(html).toMatch(/id="alarm-badge" class="badge sev-critical blink"/);
  });

  it.each([
    ['ko-KR,ko;q=0.9,en;q=0.5', undefined, '개요', 'ko'],
    ['en-US,en;q=0.9,ko;q=0.8', undefined, 'Overview', 'en'],
    ['fr-FR, ko;q=0.3', undefined, '개요', 'ko'],
    ['de-DE', undefined, 'Overview', 'en'],
    ['ko-KR', 'gw_lang=en', 'Overview', 'en'],
    ['en-US', 'gw_lang=ko', '개요', 'ko'],
  ])('Accept-Language %j with cookie %j shows %s', async (accept, cookie, title, lang) => {
    const res = await get('/', { 'accept-language': accept, ...(cookie ? { cookie } : {}) });
    const html = await res.text();
    expect(html).toContain(`<html lang="${lang}"`);
    expect(html).toContain(`<h1>${title}</h1>`);
  });

  it('?lang=ko stores the choice in a cookie and comes back to the same page', async () => {
    const res = await get('/devices?lang=ko');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/devices');
    expect(res.headers.get('set-cookie')).toMatch(/^gw_lang=ko;.*Max-Age=31536000/);
  });

  it('trends of the last hour come from raw readings', async () => {
    const now = Date.now();
    rig.store.append([0, 1, 2].map((i) => ({ pointId: 'ups1.output_load', ts: now - (3 - i) * MIN, value: 40 + i, quality: 'good' as const })));
    rig.store.flush();
    const body = (await (await get(`/api/v1/trends?points=ups1.output_load&from=${now - 3_600_000}&to=${now}`)).json()) as TrendBody;
    expect(body).toMatchObject({ source: 'raw', bucketMs: 0 });
    expect(body.series[0]).toMatchObject({ pointId: 'ups1.output_load', unit: '%', avg: [40, 41, 42] });
  });

  it('a 7-day trend comes from the rollups: few buckets with min/max/avg', async () => {
    const to = Date.UTC(2026, 5, 8);
    const from = to - 7 * 86_400_000;
    const samples = [];
    for (let t = from; t < to; t += 5 * MIN) samples.push({ pointId: 'crac1.supply_temp', ts: t, value: 20 + ((t / MIN) % 60) / 10, quality: 'good' as const });
    rig.store.append(samples);
    rig.store.flush();
    (rig.store as unknown as { rollUp(): void }).rollUp();
    const started = performance.now();
    const body = (await (await get(`/api/v1/trends?points=crac1.supply_temp&from=${from}&to=${to}`)).json()) as TrendBody;
    expect(performance.now() - started).toBeLessThan(500);
    expect(body).toMatchObject({ source: 'rollup', bucketMs: 15 * MIN });
    const s = body.series[0]!;
    expect(s.ts.length).toBe(672);
    expect(Math.min(...(s.min as number[]))).toBeCloseTo(20, 5);
    expect(Math.max(...(s.max as number[]))).toBeCloseTo(25.5, 5);
    expect(s.avg[0]).toBeCloseTo((20 + 20.5 + 21) / 3, 5);
  });

  it('exports CSV with a BOM (spreadsheets then read Korean names), one row per point and time', async () => {
    const now = Date.now();
    rig.store.append([{ pointId: 'ups1.output_load', ts: now - MIN, value: 40.5, quality: 'good' }]);
    rig.store.flush();
    const res = await get(`/api/v1/trends.csv?points=ups1.output_load&from=${now - 3_600_000}&to=${now}`);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="trend-\d{8}T?\d{4}-\d{8}T?\d{4}\.csv"$/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder().decode(bytes).trim().split('\r\n');
    expect(lines[0]).toBe('time,point,name,unit,min,max,avg');
    expect(lines[1]).toBe(`${new Date(now - MIN).toISOString()},ups1.output_load,Output load,%,40.5,40.5,40.5`);
  });

  it.each([
    ['/api/v1/trends', 400],
    ['/api/v1/trends?points=nope.x', 404],
    ['/api/v1/trends?points=ups1.output_load&from=10&to=5', 400],
    ['/api/v1/trends?points=ups1.output_load&from=abc', 400],
    [`/api/v1/trends?points=${Array.from({ length: 13 }, () => 'ups1.output_load').join(',')}`, 400],
  ])('%s → %i', async (path, status) => {
    const res = await get(path);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { message: string } }).error.message).toEqual(expect.any(String));
  });

  it('GET /api/v1/system reports version, uptime, disk, database and drivers', async () => {
    const body = (await (await get('/api/v1/system')).json()) as SystemInfo;
    expect(body).toMatchObject({ gatewayId: 'gw-web', version: '9.9.9', disk: { totalBytes: 100e9, freeBytes: 60e9 } });
    expect(body.uptimeS).toBeGreaterThanOrEqual(59);
    expect(body.store.databaseBytes).toBeGreaterThan(0);
    expect(body.drivers).toEqual([{ driver: 'modbus', devices: 3, up: 3, degraded: 0, down: 0, connecting: 0, errors: 0 }]);
    expect(body.alarms).toMatchObject({ rules: 2 });
  });

  it('serves the page assets locally with long caching for versioned URLs', async () => {
    const html = await (await get('/trends?points=ups1.output_load')).text();
    const urls = [...html.matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
    expect(urls.map((u) => u.split('?')[0])).toEqual(expect.arrayContaining(['/static/app.css', '/static/app.js', '/static/uPlot.iife.min.js', '/static/trends.js']));
    expect(html).not.toMatch(/https?:\/\/(?!gw\.local)/);
    for (const url of urls) {
      const res = await rig.app.request(url);
      expect(res.status, url).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const again = await rig.app.request(url, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status).toBe(304);
    }
  });

  it('the live stream sends current values on connect, then each commit and each alarm transition', async () => {
    rig.store.append([{ pointId: 'ups1.output_load', ts: Date.now(), value: 40, quality: 'good' }]);
    rig.store.flush();
    const res = await get('/api/v1/live?points=ups1.output_load,crac1.supply_temp&alarms=1');
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const committedAt: number[] = [];
    setTimeout(() => {
      rig.store.append([{ pointId: 'ups1.output_load', ts: Date.now(), value: 55.5, quality: 'good' }]);
      rig.store.flush();
      committedAt.push(Date.now());
      rig.alarms.feed({ 'ups1.on_battery': true });
    }, 100);
    const events = await readEvents(res, (ev) => ev.some((e) => e.event === 'alarms'));
    const received = Date.now();
    expect(events[0]?.event).toBe('hello');
    const values = events.filter((e) => e.event === 'values').map((e) => JSON.parse(e.data));
    expect(values[0]).toEqual([['ups1.output_load', 40, 'good', expect.any(Number), null]]);
    expect(values[1]).toEqual([['ups1.output_load', 55.5, 'good', expect.any(Number), null]]);
    const alarm = JSON.parse(events.find((e) => e.event === 'alarms')!.data);
    expect(alarm).toEqual([expect.objectContaining({ type: 'alarm.raised', alarmId: 'ups1.on-battery', severity: 'critical', state: 'unack' })]);
    expect(received - committedAt[0]!).toBeLessThan(1000);
  });

  it('the overview stream carries device state changes', async () => {
    const res = await get('/api/v1/live?view=overview');
    setTimeout(() => {
      rig.statuses[2] = { ...rig.statuses[2]!, state: 'down' };
    }, 50);
    const events = await readEvents(res, (ev) => ev.filter((e) => e.event === 'status').length >= 2, 4000);
    const status = events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data));
    expect(status[0].states).toEqual([
      ['ups1', 'up'],
      ['crac1', 'up'],
      ['pdu1', 'up'],
    ]);
    expect(status[1]).toEqual({ states: [['pdu1', 'down']] });
  });
});
