/**
 * The incident API and console over the real dashboard app, alarm engine, incident engine and
 * auth: the list groups symptoms under their cause, the alarm list names each symptom's cause,
 * acknowledging needs an operator and the session's CSRF token, the console and the overview
 * show incidents and count causes, not symptoms.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { IncidentView } from '../../dashboard/routes/incidents.js';
import type { AlarmRecord } from '../../gateway/alarms/types.js';
import { incidentListSchema } from '../../gateway/incidents/config-schema.js';
import { createIncidentEngine, type IncidentEngine } from '../../gateway/incidents/engine.js';
import type { IncidentService } from '../../gateway/incidents/types.js';
import type { Topology } from '../../gateway/topology/types.js';
import { handTopology } from '../helpers/incident-fixtures.js';
import { createWebRig, type WebRig } from '../helpers/web-app.js';

describe('incident API and console', () => {
  let rig: WebRig;
  let engine: IncidentEngine;

  beforeEach(() => {
    // crac1 on UPS-1 here, so the rig's supply-air alarm is a symptom of UPS-1 on battery
    const base = handTopology();
    const topology: Topology = { ...base, upstreamOf: (id) => (id === 'crac1' ? ['ups1', 'utility-a'] : base.upstreamOf(id)) };
    const late: IncidentService = {
      list: () => engine.list(),
      get: (id) => engine.get(id),
      ack: (id, user, comment) => engine.ack(id, user, comment),
      causeOf: (id) => engine.causeOf(id),
      symptoms: () => engine.symptoms(),
    };
    rig = createWebRig({ extraDeps: { incidents: late } });
    engine = createIncidentEngine({
      rules: incidentListSchema.parse([{ id: 'power', severity: 'critical', message: 'Utility power lost: {count} UPS on battery', when: { any: [{ alarm: '*.on-battery' }], withinS: 30 } }]),
      store: rig.store,
      alarms: rig.alarms.engine,
      topology,
      logger: silentLogger,
      now: () => rig.alarms.clock.now,
      tickMs: 0,
    });
    engine.start();
    rig.alarms.feed({ 'ups1.on_battery': true, 'crac1.supply_temp': 30 });
    rig.store.flush();
    rig.store.flush();
  });
  afterEach(() => {
    engine.stop();
    rig.close();
  });

  it('lists the incident with its cause and the symptom under it; the alarm list names the cause', async () => {
    await rig.auth.addUser('vera', 'viewer');
    const b = rig.browser();
    await b.login('vera');
    const list = (await (await b.request('/api/v1/incidents')).json()) as IncidentView[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: 'power', severity: 'critical', state: 'unack', message: 'Utility power lost: 1 UPS on battery', members: ['ups1.on-battery'] });
    expect(list[0]!.causes).toEqual([
      { alarm: expect.objectContaining({ id: 'ups1.on-battery' }), causeId: null, symptoms: [expect.objectContaining({ id: 'crac1.supply-hi.hi', state: 'unack' })] },
    ]);
    const alarms = (await (await b.request('/api/v1/alarms')).json()) as Array<AlarmRecord & { causeId: string | null }>;
    expect(Object.fromEntries(alarms.map((a) => [a.id, a.causeId]))).toEqual({ 'ups1.on-battery': null, 'crac1.supply-hi.hi': 'ups1.on-battery' });
    expect((await b.request('/api/v1/incidents/nope')).status).toBe(404);
  });

  it('acknowledging: a viewer may not, an operator needs the CSRF token, once', async () => {
    await rig.auth.addUser('vera', 'viewer');
    await rig.auth.addUser('olga', 'operator');
    const viewer = rig.browser();
    await viewer.login('vera');
    const denied = await viewer.request('/api/v1/incidents/power/ack', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': await viewer.csrf() }, body: '{}' });
    expect(denied.status).toBe(403);
    const b = rig.browser();
    await b.login('olga');
    const noCsrf = await b.request('/api/v1/incidents/power/ack', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(noCsrf.status).toBe(403);
    const headers = { 'content-type': 'application/json', 'x-csrf-token': await b.csrf() };
    const ok = await b.request('/api/v1/incidents/power/ack', { method: 'POST', headers, body: JSON.stringify({ comment: 'on it' }) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ id: 'power', state: 'acked', ackedBy: 'olga' });
    const again = await b.request('/api/v1/incidents/power/ack', { method: 'POST', headers, body: '{}' });
    expect(again.status).toBe(409);
    expect((await b.request('/api/v1/incidents/nope/ack', { method: 'POST', headers, body: '{}' })).status).toBe(404);
    rig.store.flush();
    const acked = rig.store.eventsAfter(0, 1000).filter((e) => e.type === 'incident.acked');
    expect(acked).toHaveLength(1);
    expect(acked[0]!.data).toMatchObject({ incidentId: 'power', who: 'olga', comment: 'on it' });
  });

  it('the console has the incidents block with the data; the overview counts causes, not symptoms', async () => {
    await rig.auth.addUser('olga', 'operator');
    const b = rig.browser();
    await b.login('olga');
    const page = await (await b.request('/alarms')).text();
    expect(page).toContain('id="incident-list"');
    expect(page).toMatch(/<h2 id="incidents-title">Incidents<\/h2>/);
    expect(page).toContain('incidents.js');
    expect(page).toContain('Utility power lost: 1 UPS on battery');
    const ko = await (await b.request('/alarms', { headers: { 'accept-language': 'ko' } })).text();
    expect(ko).toMatch(/<h2 id="incidents-title">인시던트<\/h2>/);
    const overview = await (await b.request('/')).text();
    expect(overview).toMatch(/id="overview-incidents">1</);
    // two active alarms, one of them a symptom: one cause counted
    expect(overview).toMatch(/data-sev-count="critical"><b>1<\/b>/);
    expect(overview).toMatch(/data-sev-count="major"><b>0<\/b>/);
  });
});
