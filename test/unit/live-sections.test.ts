/**
 * app/live-sections.ts on real components: two site files are loaded and diffed as a reload does,
 * then applied to a running incident engine, action engine, MQTT broker, auth service and the
 * web app's HTTP settings. Also: which settings are refused by name, and the getters the web app
 * reads per request (body limit, live streams, allowed hosts).
 */
import { Hono } from 'hono';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLiveSections, authPolicies, createLiveHttpSettings, LIVE_SECTION_LISTS, liveSectionRefusals, ownsSetting } from '../../app/live-sections.js';
import { parseSiteConfig } from '../../config/index.js';
import { diffSiteConfigs } from '../../config/live/diff.js';
import type { SiteConfig } from '../../config/types.js';
import { silentLogger } from '../../core/logger.js';
import { bodyLimits } from '../../dashboard/body-limit.js';
import { createStreamLimit } from '../../dashboard/live/stream-limit.js';
import { hashPassword } from '../../drivers/mqtt/password.js';
import { type MqttRuntime, startMqttRuntime } from '../../drivers/mqtt/runtime.js';
import { type ActionEngine, createActionEngine } from '../../gateway/actions/engine.js';
import type { StepRunners } from '../../gateway/actions/step-runner.js';
import { DEFAULT_THROTTLE } from '../../gateway/auth/login-throttle.js';
import { createIncidentEngine, type IncidentEngine } from '../../gateway/incidents/engine.js';
import type { Store } from '../../gateway/store/types.js';
import { createTempStores } from '../helpers/temp-store.js';
import { createTestAuth, TEST_PASSWORD, type TestAuth } from '../helpers/web-auth.js';

const FAST = { N: 1024, r: 8, p: 1 };

interface Parts {
  http?: string;
  auth?: string;
  users?: string;
  broker?: string;
  incidents?: string;
  correlation?: string;
  actions?: string;
  extra?: string;
}

function site(p: Parts = {}): string {
  return `gateway: { id: gw1, dataDir: ./data }
http: { ${p.http ?? 'port: 8080'} }
auth: { ${p.auth ?? 'sessionIdleMinutes: 60'} }
mqttBroker:
  enabled: true
  host: 127.0.0.1
  port: 0
  ${p.broker ?? 'allowAnonymous: false'}
  users: [${p.users}]
devices:
  - id: ups1
    driver: modbus
    connection: { host: 127.0.0.1, port: 5020 }
    points:
      - { key: load, table: holding, address: 1, type: uint16 }
incidents:
${p.incidents ?? '  - { id: power, when: { any: [ { alarm: "*.on-battery" } ], min: 2 } }'}
correlation: { ${p.correlation ?? 'symptoms: true'} }
actions:
${p.actions ?? '  - { id: start-standby, on: { incident: power, transition: raised }, do: [ { webhook: { url: "http://127.0.0.1:9/a" } } ], cooldownS: 600 }'}
${p.extra ?? ''}`;
}

function load(text: string): SiteConfig {
  const { config, problems } = parseSiteConfig(text, 'site.yaml', { profilesDirs: [] });
  expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([]);
  return config!;
}

describe('which changes these sections take live', () => {
  const users = (hash: string) => `{ username: rack, password: "${hash}" }`;
  let hash: string;
  beforeEach(async () => {
    hash = await hashPassword('rack-pw', FAST);
  });

  it('the live settings are left to applyLiveSections with no refusal', () => {
    const before = load(site({ users: users(hash) }));
    const after = load(
      site({
        users: users(hash),
        http: 'port: 8080, maxBodyKB: 256, maxLiveStreams: 3, allowedHosts: [gw.example]',
        auth: 'sessionIdleMinutes: 5, sessionMaxHours: 2, maxFailedLogins: 2, lockoutMinutes: 1',
        broker: 'allowAnonymous: true\n  anonymousPublish: ["anon/#"]',
        correlation: 'symptoms: false',
      }),
    );
    const diff = diffSiteConfigs(before, after);
    expect(diff.settings.filter(ownsSetting).sort()).toEqual(
      [
        'auth.lockoutMinutes', 'auth.maxFailedLogins', 'auth.sessionIdleMinutes', 'auth.sessionMaxHours',
        'correlation.symptoms', 'http.allowedHosts', 'http.maxBodyKB', 'http.maxLiveStreams',
        'mqttBroker.allowAnonymous', 'mqttBroker.anonymousPublish',
      ].sort(),
    );
    expect(diff.restartRequired).toEqual([]);
    expect(liveSectionRefusals(diff, after)).toEqual([]);
  });

  it('snapshots, notification targets, broker limits and the run folder are named as needing a restart', () => {
    const before = load(site({ users: users(hash) }));
    const after = load(
      site({
        users: users(hash),
        broker: 'allowAnonymous: false\n  maxConnections: 50\n  clientRateLimit: 5',
        extra: 'snapshots: { beforeMin: 5 }\nalarmSettings: { notify: [ { type: webhook, url: "http://127.0.0.1:9/hook" } ] }\n',
      }),
    );
    const diff = diffSiteConfigs(before, after);
    expect(diff.restartRequired.sort()).toEqual(['alarmSettings.notify', 'mqttBroker.clientRateLimit', 'mqttBroker.maxConnections', 'snapshots.beforeMin']);
    expect(diff.settings.filter(ownsSetting)).toEqual([]);
  });

  it('a setting of these sections that is neither live nor restart-only is refused by name, not ignored', () => {
    const before = load(site({ users: users(hash) }));
    const diff = { ...diffSiteConfigs(before, before), settings: ['auth.somethingNew', 'http.maxBodyKB'] };
    expect(liveSectionRefusals(diff, before)).toEqual(['auth.somethingNew: needs a restart']);
  });

  it('broker users cannot change live when the gateway did not wire the broker', () => {
    const before = load(site({ users: users(hash) }));
    const after = load(site({ users: `${users(hash)}, { username: rack2, password: "${hash}" }` }));
    const diff = diffSiteConfigs(before, after);
    expect(diff.lists.brokerUsers.added).toEqual(['rack2']);
    expect(liveSectionRefusals(diff, after, {})).toEqual(['mqttBroker users: the broker cannot take them live here; needs a restart']);
    expect(liveSectionRefusals(diff, after, { brokerUsers: async () => undefined })).toEqual([]);
    expect(LIVE_SECTION_LISTS).toEqual(['incidents', 'actions', 'brokerUsers']);
  });
});

describe('applyLiveSections on running components', () => {
  const temp = createTempStores('gw-live-sections-');
  let store: Store;
  let incidents: IncidentEngine;
  let actions: ActionEngine;
  let runtime: MqttRuntime;
  let t: TestAuth;
  let clock: { now: number };
  let hash: string;
  beforeEach(async () => {
    clock = { now: Date.UTC(2026, 0, 1) };
    store = temp.open(temp.file());
    hash = await hashPassword('rack-pw', FAST);
    t = createTestAuth({ now: () => clock.now, sessions: { idleMs: 60 * 60_000, maxAgeMs: 24 * 3_600_000 }, throttle: { ...DEFAULT_THROTTLE, maxFailures: 5, baseDelayMs: 60_000 } });
    await t.addUser('kim', 'operator');
  });
  afterEach(async () => {
    incidents?.stop();
    await actions?.stop();
    await runtime?.close();
    t.close();
    temp.cleanup();
  });

  async function start(config: SiteConfig) {
    incidents = createIncidentEngine({ rules: config.incidents ?? [], correlation: config.correlation, store, alarms: { list: () => [] }, logger: silentLogger, tickMs: 0 });
    incidents.start();
    const noRun = async () => ({ ok: true });
    const runners: StepRunners = { write: noRun, webhook: noRun, mqtt: noRun, run: noRun };
    actions = createActionEngine({ rules: config.actions?.rules ?? [], gatewayId: 'gw1', store, runners, logger: silentLogger });
    actions.start();
    runtime = await startMqttRuntime({ broker: config.mqttBroker, devices: [], gatewayId: 'gw1', baseDir: '.', logger: silentLogger });
    const http = createLiveHttpSettings(config.http, { interfaces: () => [], machineName: 'gw-test' });
    t.auth.setPolicies(authPolicies(config.auth));
    return { http, deps: { incidents, actions, brokerUsers: (next: SiteConfig) => runtime.replaceBrokerUsers(next.mqttBroker), auth: t.auth, http, logger: silentLogger } };
  }

  it('applies incidents, actions, broker users, auth and http from one reload', async () => {
    const before = load(site({ users: `{ username: rack, password: "${hash}", publish: ["r/#"] }` }));
    const { http, deps } = await start(before);
    const url = `mqtt://127.0.0.1:${runtime.broker!.port}`;
    const rack = await mqtt.connectAsync(url, { username: 'rack', password: 'rack-pw', clientId: 'rack', reconnectPeriod: 0 });
    const closed = new Promise<void>((r) => rack.once('close', () => r()));
    const login = await t.auth.login('kim', TEST_PASSWORD, '10.0.0.9');
    if (!login.ok) throw new Error('login failed');
    expect(http.maxBodyBytes()).toBe(64 * 1024);
    expect(http.allowedHost('gw.example')).toBe(false);

    const after = load(
      site({
        users: `{ username: rack2, password: "${hash}", publish: ["r/#"] }`,
        http: 'port: 8080, maxBodyKB: 256, maxLiveStreams: 3, allowedHosts: [gw.example]',
        auth: 'sessionIdleMinutes: 5, maxFailedLogins: 2',
        incidents: '  - { id: power, when: { any: [ { alarm: "*.on-battery" } ], min: 2 } }\n  - { id: leak, when: { any: [ { alarm: "*.leak" } ] } }',
        correlation: 'symptoms: false',
        actions: '  - { id: page, on: { incident: leak, transition: raised }, do: [ { webhook: { url: "http://127.0.0.1:9/b" } } ] }',
      }),
    );
    const diff = diffSiteConfigs(before, after);
    expect(liveSectionRefusals(diff, after, deps)).toEqual([]);
    expect(await applyLiveSections(diff, after, deps)).toEqual(['broker users', 'incidents', 'actions', 'auth', 'http']);

    expect(incidents.list().map((i) => i.id).sort()).toEqual(['leak', 'power']);
    expect(actions.list().map((a) => a.id)).toEqual(['page']);
    // the removed broker user's client was disconnected; the new one logs in
    await closed;
    const rack2 = await mqtt.connectAsync(url, { username: 'rack2', password: 'rack-pw', clientId: 'rack2', reconnectPeriod: 0 });
    await rack2.endAsync(true);
    // the session made before the change ends after the new idle time (5 min), not the old 60
    clock.now += 6 * 60_000;
    expect(t.auth.session(login.session.id)).toBeUndefined();
    // two failures now delay the next try
    await t.auth.login('kim', 'wrong 1', '10.0.0.7');
    await t.auth.login('kim', 'wrong 2', '10.0.0.7');
    expect(await t.auth.login('kim', TEST_PASSWORD, '10.0.0.7')).toMatchObject({ ok: false, reason: 'throttled' });
    expect(http.maxBodyBytes()).toBe(256 * 1024);
    expect(http.maxLiveStreams()).toBe(3);
    expect(http.allowedHost('GW.example')).toBe(true);
    expect(http.allowedHost('evil.example')).toBe(false);
  });

  it('changes nothing for a diff without these sections', async () => {
    const config = load(site({ users: `{ username: rack, password: "${hash}" }` }));
    const { deps } = await start(config);
    expect(await applyLiveSections(diffSiteConfigs(config, config), config, deps)).toEqual([]);
  });
});

describe('web settings read per request', () => {
  it('the body limit follows its getter', async () => {
    let kb = 1;
    const app = new Hono().use('*', bodyLimits(() => kb * 1024, { '/big': 4096 })).post('*', async (c) => c.text(String((await c.req.text()).length)));
    const post = (path: string, bytes: number) => app.request(path, { method: 'POST', body: 'x'.repeat(bytes), headers: { 'content-length': String(bytes) } });
    expect((await post('/x', 2000)).status).toBe(413);
    expect((await post('/big', 2000)).status).toBe(200);
    kb = 4;
    expect((await post('/x', 2000)).status).toBe(200);
    expect((await post('/x', 5000)).status).toBe(413);
    // the larger path is never below the standard limit
    kb = 8;
    expect((await post('/big', 6000)).status).toBe(200);
  });

  it('the live-stream cap follows its getter: a lower cap closes the oldest when the owner opens one more', () => {
    let cap = 3;
    const limit = createStreamLimit(() => cap);
    const closedStreams: number[] = [];
    for (let i = 0; i < 3; i++) limit.open('kim', () => closedStreams.push(i));
    expect(closedStreams).toEqual([]);
    cap = 1;
    limit.open('kim', () => closedStreams.push(3));
    expect(closedStreams).toEqual([0, 1, 2]);
    expect(limit.count('kim')).toBe(1);
  });
});
