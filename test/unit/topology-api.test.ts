/**
 * GET /api/v1/topology and the /topology page over the real web app, a real alarm engine and a
 * real store: links as configured, each node's worst active alarm (a zone: the worst of its
 * devices) and comm state, for every role that may read.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTopology } from '../../gateway/topology/build.js';
import type { TopologyView } from '../../dashboard/topology-model.js';
import { createWebRig, WEB_DEVICES, type WebRig } from '../helpers/web-app.js';

function siteTopology() {
  const { topology, problems } = buildTopology(
    [
      { id: 'utility-a', kind: 'feed', name: 'Utility feed A' },
      { device: 'ups1', fedBy: ['utility-a'] },
      { device: 'pdu1', fedBy: ['ups1'] },
      { device: 'crac1', fedBy: ['ups1'], cools: ['hall-a'] },
      { id: 'hall-a', kind: 'zone', name: 'Hall A', contains: ['pdu1'] },
      { id: 'hall-b', kind: 'zone', name: 'Hall B', contains: ['ups1'] },
    ],
    WEB_DEVICES,
  );
  expect(problems).toEqual([]);
  return topology!;
}

describe('topology API and page', () => {
  let rig: WebRig;
  const get = async (path: string, role: 'viewer' | 'operator' = 'viewer') => rig.app.request(path, { headers: rig.auth.bearer(role) });
  const view = async () => (await (await get('/api/v1/topology')).json()) as TopologyView;
  const node = (v: TopologyView, id: string) => v.nodes.find((n) => n.id === id)!;

  beforeEach(() => {
    rig = createWebRig({ extraDeps: { topology: siteTopology() } });
  });
  afterEach(() => rig.close());

  it('lists every node with its links, names from the catalog, and the chains as columns', async () => {
    const v = await view();
    expect(node(v, 'ups1')).toEqual({
      id: 'ups1',
      kind: 'device',
      name: 'UPS-1 <Hall A>',
      deviceKind: 'ups',
      fedBy: ['utility-a'],
      cools: [],
      contains: [],
      severity: null,
      comm: 'up',
    });
    expect(node(v, 'hall-a')).toMatchObject({ kind: 'zone', name: 'Hall A', contains: ['pdu1'], severity: null, comm: null });
    expect(node(v, 'utility-a')).toMatchObject({ kind: 'feed', severity: null, comm: null });
    expect(v.power).toEqual([['utility-a'], ['ups1'], ['crac1', 'pdu1'], ['hall-a', 'hall-b']]);
    expect(v.cooling).toEqual([['crac1'], ['hall-a']]);
    expect(v.unlinked).toEqual([]);
  });

  it('colours a device and its zone by the worst active alarm, and shows comm state', async () => {
    rig.alarms.feed({ 'ups1.on_battery': true, 'crac1.supply_temp': 29 });
    rig.statuses.find((s) => s.deviceId === 'pdu1')!.state = 'down';
    const v = await view();
    expect(node(v, 'ups1').severity).toBe('critical');
    expect(node(v, 'crac1').severity).toBe('major');
    expect(node(v, 'hall-b').severity).toBe('critical');
    // hall-a holds pdu1 only: crac1 cools it but is not in it
    expect(node(v, 'hall-a').severity).toBeNull();
    expect(node(v, 'pdu1').comm).toBe('down');

    rig.alarms.feed({ 'ups1.on_battery': false });
    // returned but unacknowledged: still listed, but no longer active, so no colour
    expect(node(await view(), 'ups1').severity).toBeNull();
  });

  it('serves the page with a box per node linking to the device page', async () => {
    rig.alarms.feed({ 'ups1.on_battery': true });
    const res = await get('/topology');
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toMatch(/<a class="tnode k-device sev-critical" data-node="ups1" href="\/devices\/ups1">/);
    expect(page).toMatch(/<div class="tnode k-feed" data-node="utility-a">/);
    expect(page).toContain('UPS-1 &#60;Hall A&#62;');
    expect(page).toContain('<a href="/topology" aria-current="page">Topology</a>');
    expect(page).toMatch(/<script src="\/static\/topology\.js\?v=\w+" defer><\/script>/);
    expect(page).not.toMatch(/<script>(?!<\/script>)/);
  });

  it('speaks Korean', async () => {
    const page = await (await rig.app.request('/topology', { headers: { ...rig.auth.bearer('viewer'), 'accept-language': 'ko-KR,ko;q=0.9' } })).text();
    expect(page).toContain('<h1>사이트 토폴로지</h1>');
    expect(page).toContain('전력 계통');
    expect(page).toContain('<a href="/topology" aria-current="page">토폴로지</a>');
  });

  it('needs a login', async () => {
    expect((await rig.app.request('/api/v1/topology')).status).toBe(401);
  });

  it('answers 404 when the gateway has no topology', async () => {
    rig.close();
    rig = createWebRig();
    const res = await get('/api/v1/topology');
    expect(res.status).toBe(404);
    expect(await get('/topology').then((r) => r.text())).toContain('No topology');
  });
});
