/**
 * Automated actions end to end (issue 15) with real peers: a whole gateway (startGateway) whose
 * alarm, raised on the first poll of an independent Modbus server (pymodbus), starts actions that
 * write a coil through the control service (read back by pymodbus, a `control.write` event with
 * the actor `action:<id>`), call a webhook on a local HTTP server, publish to mosquitto, and run a
 * script from a temp folder (argv as given, an environment without secrets, a timeout that kills
 * it, a program outside the folder refused). Every run is an `action.run` event; the API lists
 * them and lets an operator (not a viewer) disable and enable an action.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../app/start-gateway.js';
import { loadSiteConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import { resolveProgram } from '../../gateway/actions/steps/run.js';
import type { ActionRunRecord, ActionStatus } from '../../gateway/actions/types.js';
import { openAuthDb } from '../../gateway/auth/index.js';
import { createTokenStore } from '../../gateway/auth/tokens.js';
import { type MosquittoPeer, startMosquitto } from '../helpers/mosquitto.js';
import { peersAvailable } from '../helpers/peers.js';
import { type PymodbusPeer, startPymodbus } from '../helpers/pymodbus.js';

const RUN = peersAvailable('pymodbus', 'mosquitto');
const SECRET = 'actions-test-secret-value';

describe.skipIf(!RUN)('automated action steps against real peers', () => {
  let dir: string;
  let runDir: string;
  let peer: PymodbusPeer;
  let broker: MosquittoPeer;
  let subscriber: MqttClient;
  let http: Server;
  let gateway: RunningGateway;
  const hooks: Array<{ method: string; url: string; auth: string | undefined; body: unknown }> = [];
  const published: Array<{ topic: string; payload: unknown }> = [];
  const tokens = {} as Record<'viewer' | 'operator', string>;

  const call = async (method: string, path: string, role: 'viewer' | 'operator' = 'operator', body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${gateway.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const events = async (type: string) => {
    const { body } = await call('GET', '/api/v1/events?after=0&limit=1000');
    return (body as { items: Array<{ type: string; data: Record<string, unknown> }> }).items.filter((e) => e.type === type).map((e) => e.data);
  };
  const runOf = async (actionId: string) => (await events('action.run')).find((r) => r.actionId === actionId) as unknown as ActionRunRecord | undefined;

  async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await check().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    // trip = 1 from the start: the alarm raises on the first poll and starts every action
    peer = await startPymodbus({ transport: 'tcp' }, { 1: { holding: [{ address: 0, type: 'uint16', value: 1 }], coils: [{ address: 0, bits: [false, false] }] } });
    broker = await startMosquitto();
    subscriber = await connectAsync(broker.url);
    await subscriber.subscribeAsync('site/#');
    subscriber.on('message', (topic, payload) => published.push({ topic, payload: JSON.parse(payload.toString()) }));
    http = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        hooks.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body: JSON.parse(text) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const hookPort = (http.address() as { port: number }).port;

    dir = mkdtempSync(join(tmpdir(), 'gw-actions-'));
    runDir = join(dir, 'actions-bin');
    mkdirSync(runDir);
    const script = (name: string, body: string, where = runDir) => {
      const p = join(where, name);
      writeFileSync(p, `#!/bin/sh\n${body}\n`);
      chmodSync(p, 0o755);
      return p;
    };
    // argv one per line, then the environment
    script('record.sh', `out="$(dirname "$0")/../record.txt"; for a in "$@"; do printf '%s\\n' "$a"; done > "$out"; echo ---ENV--- >> "$out"; env >> "$out"; echo recorded`);
    script('slow.sh', 'sleep 30; echo never');
    const outside = script('outside.sh', `touch "${join(dir, 'outside-ran')}"`, dir);
    symlinkSync(outside, join(runDir, 'link-out.sh'));
    process.env.GATEWAY_ACTIONS_TEST_SECRET = SECRET;
    process.env.GATEWAY_ACTIONS_HOOK_TOKEN = 'Bearer hook-token';

    writeFileSync(
      join(dir, 'site.yaml'),
      `gateway: { id: e2e-actions, dataDir: ./data }
http: { host: 127.0.0.1, port: 0 }
storage: { commitIntervalMs: 50 }
devices:
  - id: crac1
    name: CRAC 1
    kind: hvac
    driver: modbus
    connection: { host: 127.0.0.1, port: ${peer.port}, unitId: 1, timeoutMs: 1000 }
    pollIntervalMs: 300
    points:
      - { key: trip, table: holding, address: 0, type: uint16 }
      - { key: unit_on, table: coil, address: 0, write: { values: [true, false] } }
      - { key: spare_on, table: coil, address: 1, write: { values: [true, false] } }
alarms:
  - { id: crac1-trip, point: crac1.trip, equals: 1, severity: critical, message: "CRAC 1 compressor trip" }
actionsRunDir: ./actions-bin
actions:
  - id: start-standby
    on: { alarm: "crac*-trip", transition: raised }
    do: [ { write: { point: crac1.unit_on, value: true } } ]
    cooldownS: 600
  - id: dry-write
    on: { alarm: crac1-trip }
    do: [ { write: { point: crac1.spare_on, value: true } } ]
    dryRun: true
  - id: hook
    on: { alarm: crac1-trip }
    do: [ { webhook: { url: "http://127.0.0.1:${hookPort}/hooks/secret-path?key=abc", headers: { Authorization: "\${GATEWAY_ACTIONS_HOOK_TOKEN}" }, body: { text: "{triggerId} {transition} ({severity})", site: "{gatewayId}" } } } ]
  - id: publish
    on: { alarm: crac1-trip }
    do: [ { mqtt: { url: "${broker.url}", topic: "site/{gatewayId}/actions/{actionId}", payload: { alarm: "{triggerId}", message: "{message}" } } } ]
  - id: script
    on: { alarm: crac1-trip }
    do: [ { run: { program: record.sh, args: ["{triggerId}", "two words", "; rm -rf / $(id)"] } } ]
  - id: slow
    on: { alarm: crac1-trip }
    do: [ { run: { program: slow.sh, timeoutMs: 500 } }, { webhook: { url: "http://127.0.0.1:${hookPort}/never" } } ]
  - id: escape
    on: { alarm: crac1-trip }
    do: [ { run: { program: link-out.sh } } ]
`,
    );
    const config = loadSiteConfig(join(dir, 'site.yaml'));
    mkdirSync(config.gateway.dataDir, { recursive: true });
    const authDb = openAuthDb(join(config.gateway.dataDir, 'auth.db'));
    const store = createTokenStore(authDb);
    for (const role of ['viewer', 'operator'] as const) tokens[role] = store.create(`e2e-${role}`, role).token;
    authDb.close();
    gateway = await startGateway(config, { logger: silentLogger, version: 'test', firstAdmin: false });
    await until(async () => ((await events('action.run')).length >= 7 ? true : undefined), 'seven action runs');
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await subscriber?.endAsync();
    await broker?.dispose();
    await peer?.stop();
    await new Promise((r) => http?.close(r));
    delete process.env.GATEWAY_ACTIONS_TEST_SECRET;
    delete process.env.GATEWAY_ACTIONS_HOOK_TOKEN;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes through the control service as action:<id>, verified by reading the coil back', async () => {
    const run = await runOf('start-standby');
    expect(run).toMatchObject({ ok: true, dryRun: false, trigger: { type: 'alarm', id: 'crac1-trip', transition: 'raised', severity: 'critical' } });
    expect(run!.steps[0]).toMatchObject({ kind: 'write', ok: true, result: { result: 'verified', oldValue: false, readBack: true } });
    const writes = await events('control.write');
    expect(writes.find((w) => w.pointId === 'crac1.unit_on')).toMatchObject({ actor: { kind: 'action', name: 'action:start-standby', role: 'operator' }, result: 'verified', comment: 'action start-standby on alarm crac1-trip raised' });
    const { body } = await call('GET', '/api/v1/points/crac1.unit_on');
    expect((body as { value: unknown }).value).toBe(true);
  });

  it('a dry run records the write without doing it', async () => {
    const run = await runOf('dry-write');
    expect(run).toMatchObject({ ok: true, dryRun: true, steps: [{ kind: 'write', ok: true, result: { wouldDo: 'write crac1.spare_on = true' } }] });
    expect((await events('control.write')).some((w) => w.pointId === 'crac1.spare_on')).toBe(false);
    expect(((await call('GET', '/api/v1/points/crac1.spare_on')).body as { value: unknown }).value).toBe(false);
  });

  it('calls the webhook with the filled body and the secret header; shows only scheme://host:port', async () => {
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ method: 'POST', url: '/hooks/secret-path?key=abc', auth: 'Bearer hook-token', body: { text: 'crac1-trip raised (critical)', site: 'e2e-actions' } });
    const run = await runOf('hook');
    expect(run!.steps[0]).toMatchObject({ kind: 'webhook', ok: true, result: { status: 204 } });
    const listed = (await call('GET', '/api/v1/actions')).body as ActionStatus[];
    const text = JSON.stringify(listed);
    expect(text).not.toContain('secret-path');
    expect(text).not.toContain('hook-token');
    expect(listed.find((a) => a.id === 'hook')!.steps[0]).toMatch(/^webhook POST http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('publishes to the MQTT broker', async () => {
    await until(async () => (published.length > 0 ? true : undefined), 'the MQTT message', 5000);
    expect(published[0]).toEqual({ topic: 'site/e2e-actions/actions/publish', payload: { alarm: 'crac1-trip', message: 'CRAC 1 compressor trip' } });
    expect((await runOf('publish'))!.steps[0]).toMatchObject({ kind: 'mqtt', ok: true });
  });

  it('runs a script with argv as given (no shell) and an environment without secrets', async () => {
    const run = await runOf('script');
    expect(run!.steps[0]).toMatchObject({ kind: 'run', ok: true, result: { exitCode: 0, stdout: 'recorded\n' } });
    const [argv, env] = readFileSync(join(dir, 'record.txt'), 'utf8').split('---ENV---\n');
    expect(argv!.trimEnd().split('\n')).toEqual(['crac1-trip', 'two words', '; rm -rf / $(id)']);
    expect(env).not.toContain(SECRET);
    expect(env).not.toContain('hook-token');
    const names = env!.trim().split('\n').map((l) => l.slice(0, l.indexOf('=')));
    // sh adds PWD (and may add SHLVL, _) itself; nothing else comes from the gateway
    expect(names.filter((n) => !['PATH', 'LANG', 'TZ', 'PWD', 'SHLVL', '_', 'OLDPWD'].includes(n))).toEqual([]);
  });

  it('kills a program at its timeout and does not run the steps after it', async () => {
    const run = await runOf('slow');
    expect(run!.ok).toBe(false);
    expect(run!.steps[0]).toMatchObject({ kind: 'run', ok: false, error: 'killed after 500 ms', result: { signal: 'SIGKILL', timedOut: true } });
    expect(run!.steps[0]!.durationMs).toBeLessThan(5000);
    expect(run!.steps[1]).toMatchObject({ kind: 'webhook', skipped: true });
    expect(hooks.some((h) => h.url === '/never')).toBe(false);
  });

  it('refuses a program that resolves outside the folder (a symlink out, .., an absolute path)', async () => {
    const run = await runOf('escape');
    expect(run!.steps[0]).toMatchObject({ kind: 'run', ok: false, error: 'link-out.sh: resolves outside actionsRunDir; refused' });
    expect(() => readFileSync(join(dir, 'outside-ran'))).toThrow();
    expect(await resolveProgram(runDir, '../outside.sh')).toEqual({ error: '../outside.sh: resolves outside actionsRunDir; refused' });
    expect(await resolveProgram(runDir, join(dir, 'outside.sh'))).toMatchObject({ error: expect.stringContaining('an absolute path') });
    expect(await resolveProgram(runDir, 'record.sh')).toMatchObject({ path: expect.stringContaining('record.sh') });
  });

  it('lists actions with their last runs; an operator (not a viewer) disables and enables one', async () => {
    const listed = (await call('GET', '/api/v1/actions', 'viewer')).body as ActionStatus[];
    expect(listed.map((a) => a.id)).toEqual(['start-standby', 'dry-write', 'hook', 'publish', 'script', 'slow', 'escape']);
    expect(listed[0]).toMatchObject({ cooldownS: 600, on: { alarm: 'crac*-trip', transition: 'raised' }, steps: ['write crac1.unit_on = true'], disabledUntil: null });
    expect(listed[0]!.lastRuns).toHaveLength(1);
    expect((await call('POST', '/api/v1/actions/hook/disable', 'viewer', { minutes: 5 })).status).toBe(403);
    expect((await call('POST', '/api/v1/actions/hook/disable', 'operator', {})).status).toBe(400);
    expect((await call('POST', '/api/v1/actions/nope/disable', 'operator', { minutes: 5 })).status).toBe(404);
    const off = await call('POST', '/api/v1/actions/hook/disable', 'operator', { minutes: 5 });
    expect(off.status).toBe(200);
    expect((off.body as ActionStatus).disabledBy).toBe('e2e-operator');
    expect((off.body as ActionStatus).disabledUntil).toBeGreaterThan(Date.now());
    const on = await call('POST', '/api/v1/actions/hook/enable', 'operator');
    expect((on.body as ActionStatus).disabledUntil).toBeNull();
    await until(async () => ((await events('action.enabled')).length === 1 ? true : undefined), 'the action.enabled event', 5000);
    expect(await events('action.disabled')).toMatchObject([{ actionId: 'hook', who: 'e2e-operator', minutes: 5 }]);
  });
});
