/**
 * The actions page and API through the dashboard app: the page in English and Korean with its nav
 * link, and disable/enable from a logged-in session, which needs the CSRF token and the operator role.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { actionRuleSchema } from '../../gateway/actions/config-schema.js';
import { type ActionEngine, createActionEngine } from '../../gateway/actions/engine.js';
import type { ActionStatus } from '../../gateway/actions/types.js';
import { createWebRig, type WebRig } from '../helpers/web-app.js';

describe('actions page and API', () => {
  let rig: WebRig;
  let engine: ActionEngine;
  beforeAll(async () => {
    const fail = async () => ({ ok: false, error: 'not in this test' });
    // the engine is made before the rig (its deps) but uses the rig's store, started once it exists
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
      runners: { write: fail, webhook: fail, mqtt: fail, run: fail },
      logger: silentLogger,
    });
    rig = createWebRig({ extraDeps: { actions: engine } });
    engine.start();
    await rig.auth.addUser('olga', 'operator');
    await rig.auth.addUser('vic', 'viewer');
  });
  afterAll(async () => {
    await engine.stop();
    rig.close();
  });

  it('renders the page with the nav link, in English and Korean', async () => {
    const b = rig.browser();
    await b.login('olga');
    const en = await (await b.request('/actions')).text();
    expect(en).toContain('Automated actions');
    expect(en).toContain('href="/actions" aria-current="page"');
    expect(en).toContain('start-standby-crac');
    const script = /src="(\/static\/actions\.js[^"]*)"/.exec(en)?.[1];
    expect(script).toBeDefined();
    expect((await b.request(script!)).status).toBe(200);
    b.cookies.set('gw_lang', 'ko');
    const ko = await (await b.request('/actions')).text();
    expect(ko).toContain('자동 조치');
  });

  it('disable/enable from a session needs the CSRF token and the operator role', async () => {
    const olga = rig.browser();
    await olga.login('olga');
    const post = (b: typeof olga, path: string, body: unknown, csrf?: string) =>
      b.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...(csrf && { 'x-csrf-token': csrf }) }, body: JSON.stringify(body) });
    expect((await post(olga, '/api/v1/actions/start-standby-crac/disable', { minutes: 15 })).status).toBe(403);
    const res = await post(olga, '/api/v1/actions/start-standby-crac/disable', { minutes: 15 }, await olga.csrf());
    expect(res.status).toBe(200);
    expect((await res.json()) as ActionStatus).toMatchObject({ disabledBy: 'olga' });
    const vic = rig.browser();
    await vic.login('vic');
    expect((await post(vic, '/api/v1/actions/start-standby-crac/enable', {}, await vic.csrf())).status).toBe(403);
    const list = (await (await vic.request('/api/v1/actions')).json()) as ActionStatus[];
    expect(list[0]!.disabledBy).toBe('olga');
    expect((await post(olga, '/api/v1/actions/start-standby-crac/enable', {}, await olga.csrf())).status).toBe(200);
    expect(engine.get('start-standby-crac')!.disabledUntil).toBeNull();
  });
});
