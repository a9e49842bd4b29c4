/**
 * The alarm and events JSON API over a real engine and store: listing by state, acknowledge and
 * shelve with who and a comment, the errors a client can cause, and the events cursor.
 */
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alarmRoutes } from '../../dashboard/routes/alarms.js';
import { eventRoutes } from '../../dashboard/routes/events.js';
import type { AlarmRecord } from '../../gateway/alarms/types.js';
import type { StoredEvent, Store } from '../../gateway/store/types.js';
import { type AlarmRig, alarmRig, discreteRule, limitRule } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

describe('alarm API', () => {
  const temp = createTempStores('gw-alarm-api-');
  let store: Store;
  let rig: AlarmRig;
  let app: Hono;
  const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const getJson = async <T = AlarmRecord[]>(path: string) => (await app.request(path)).json() as Promise<T>;
  const getPage = (path: string) => getJson<{ items: StoredEvent[]; nextAfter: number; more: boolean }>(path);

  beforeEach(() => {
    store = temp.open(temp.file());
    rig = alarmRig(store, [
      discreteRule('ups1.on-battery', 'ups1.on_battery', { op: 'equals', value: true }, { severity: 'critical', message: 'UPS on battery' }),
      limitRule('crac1.supply', 'crac1.supply_temp', { hi: 27 }),
    ]);
    app = new Hono().route('/api/v1/alarms', alarmRoutes(rig.engine)).route('/api/v1/events', eventRoutes(store));
    rig.feed({ 'ups1.on_battery': true, 'crac1.supply_temp': 22 });
  });
  afterEach(() => temp.cleanup());

  it('GET /api/v1/alarms lists the active ones by default, every one with state=all', async () => {
    const active = await getJson('/api/v1/alarms');
    expect(active).toEqual([
      expect.objectContaining({ id: 'ups1.on-battery', rule: 'ups1.on-battery', point: 'ups1.on_battery', severity: 'critical', state: 'unack', value: true, message: 'UPS on battery', raisedAt: rig.clock.now, ackedBy: null }),
    ]);
    expect((await getJson('/api/v1/alarms?state=all')).map((a) => a.id)).toEqual(['ups1.on-battery', 'crac1.supply.hi']);
    expect((await getJson('/api/v1/alarms?state=normal')).map((a) => a.id)).toEqual(['crac1.supply.hi']);
    const bad = await app.request('/api/v1/alarms?state=loud');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'bad-request' } });
  });

  it('POST ack records the user from X-Gateway-User and the comment', async () => {
    const res = await post('/api/v1/alarms/ups1.on-battery/ack', { comment: 'mains work announced' }, { 'X-Gateway-User': 'kim' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: 'ups1.on-battery', state: 'acked', ackedBy: 'kim', ackComment: 'mains work announced' });
    const again = await post('/api/v1/alarms/ups1.on-battery/ack', {});
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'conflict' } });
  });

  it('who comes from the body when there is no header, else "anonymous"; an empty body is fine', async () => {
    rig.feed({ 'ups1.on_battery': false });
    expect(await (await post('/api/v1/alarms/ups1.on-battery/ack', { who: 'lee' })).json()).toMatchObject({ state: 'normal', ackedBy: 'lee', ackComment: null });
    rig.feed({ 'ups1.on_battery': true });
    expect(await (await post('/api/v1/alarms/ups1.on-battery/ack')).json()).toMatchObject({ state: 'acked', ackedBy: 'anonymous' });
  });

  it('a logged-in user (set by the auth middleware) wins over what the client says', async () => {
    const authed = new Hono<{ Variables: { principal: { name: string; role: string; via: string } } }>();
    authed.use('*', async (c, next) => {
      c.set('principal', { name: 'operator-kim', role: 'operator', via: 'session' });
      await next();
    });
    authed.route('/api/v1/alarms', alarmRoutes(rig.engine));
    const res = await authed.request('/api/v1/alarms/ups1.on-battery/ack', { method: 'POST', headers: { 'X-Gateway-User': 'mallory' }, body: '{"who":"mallory"}' });
    expect(await res.json()).toMatchObject({ state: 'acked', ackedBy: 'operator-kim' });
  });

  it('POST shelve for N minutes with a comment; bad minutes are a 400', async () => {
    const res = await post('/api/v1/alarms/ups1.on-battery/shelve', { minutes: 15, comment: 'battery test' }, { 'X-Gateway-User': 'park' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: 'shelved', shelvedBy: 'park', shelveComment: 'battery test', shelvedUntil: rig.clock.now + 15 * 60_000 });
    for (const body of [{}, { minutes: 'ten' }, { minutes: -1 }, { minutes: 100_000 }]) {
      const r = await post('/api/v1/alarms/crac1.supply.hi/shelve', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await post('/api/v1/alarms/ups1.on-battery/unshelve')).status).toBe(200);
  });

  it.each([
    ['an unknown alarm', '/api/v1/alarms/nope/ack', '{}', {}, 404],
    ['a body that is not JSON', '/api/v1/alarms/ups1.on-battery/ack', '{oops', {}, 400],
    ['a JSON list', '/api/v1/alarms/ups1.on-battery/ack', '[]', {}, 400],
    ['a comment that is not text', '/api/v1/alarms/ups1.on-battery/ack', '{"comment":5}', {}, 400],
    ['a who too long', '/api/v1/alarms/ups1.on-battery/ack', '{}', { 'X-Gateway-User': 'x'.repeat(65) }, 400],
  ])('refuses %s', async (_, path, body, headers, status) => {
    const res = await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBeTruthy();
  });

  it('takes an alarm out of service and back', async () => {
    expect(await (await post('/api/v1/alarms/crac1.supply.hi/out-of-service', { comment: 'sensor replaced' })).json()).toMatchObject({ state: 'out-of-service' });
    expect(await (await post('/api/v1/alarms/crac1.supply.hi/in-service')).json()).toMatchObject({ state: 'normal' });
  });

  it('GET /api/v1/events pages the events stream with a cursor', async () => {
    await post('/api/v1/alarms/ups1.on-battery/ack', { comment: 'seen' }, { 'X-Gateway-User': 'kim' });
    rig.feed({ 'ups1.on_battery': false });
    rig.events();
    const first = await getPage('/api/v1/events?after=0&limit=2');
    expect(first.items.map((e) => e.type)).toEqual(['alarm.raised', 'alarm.acked']);
    expect(first.items[1]!.data).toMatchObject({ alarmId: 'ups1.on-battery', who: 'kim', comment: 'seen', state: 'acked' });
    expect(first.more).toBe(true);
    const rest = await getPage(`/api/v1/events?after=${first.nextAfter}&limit=2`);
    expect(rest.items.map((e) => e.type)).toEqual(['alarm.returned']);
    expect(rest.items[0]!.seq).toBe(first.nextAfter + 1);
    expect(rest.more).toBe(false);
    expect((await getPage(`/api/v1/events?after=${rest.nextAfter}`)).items).toEqual([]);
    expect((await app.request('/api/v1/events?after=-1')).status).toBe(400);
    expect((await app.request('/api/v1/events?limit=5000')).status).toBe(400);
  });
});
