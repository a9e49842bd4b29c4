/**
 * Live configuration on the demo site as an integrator uses it (`gateway demo`, the admin API):
 * a meter added on UPS-2's Modbus link, an alarm limit lowered below the value (raised) and put
 * back (returned), a sync target added and its batch size edited, an incident rule changed and a
 * broker user added (who can then log in), each applied live, while the
 * polled devices that were not touched keep every poll slot: the live value's timestamp, watched
 * four times a poll interval, moves on every poll (stored readings would not show it: the demo's
 * profiles store by exception).
 */
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { hashPassword } from '../../drivers/mqtt/password.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/cli.js';
import { type DemoCopy, startDemoCopy } from '../helpers/demo-copy.js';
import { type Receiver, startReceiver } from '../helpers/sync-receiver.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON replies of several shapes
type Json = any;

/** Polled devices the changes leave alone, a point of each, and their poll interval. */
const UNTOUCHED = [
  { point: 'ups1.output_load', intervalMs: 1000 },
  { point: 'pdu-a1.total_current', intervalMs: 2000 },
  { point: 'crac1.supply_temp', intervalMs: 1000 },
  { point: 'ups3.output_load', intervalMs: 2000 },
];

describe('live configuration on the demo', () => {
  let demo: DemoCopy;
  let receiver: Receiver;
  let text: string;
  /** per untouched point: every distinct live-value timestamp seen */
  const seen = new Map<string, number[]>(UNTOUCHED.map((u) => [u.point, []]));
  let watching = true;
  let watcher: Promise<void>;
  /** the sampler's missed-slot count per device before the first apply */
  let overrunsBefore: Map<string, number>;
  const overruns = async () => new Map(((await api('/api/v1/devices')).body as Array<{ id: string; overruns: number }>).map((d) => [d.id, d.overruns]));

  const api = async (path: string, init: RequestInit = {}): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`http://127.0.0.1:${demo.httpPort}${path}`, { ...init, headers: { ...demo.headers, ...(init.headers as Record<string, string>) } });
    return { status: res.status, body: await res.json() };
  };
  const apply = async (next: string) => {
    const { status, body } = await api('/api/v1/config', { method: 'POST', body: next, headers: { 'content-type': 'application/yaml' } });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.applied).toBe(true);
    text = next;
    return body;
  };
  const alarm = async (id: string) => (await api(`/api/v1/alarms/${id}`)).body;

  beforeAll(async () => {
    demo = await startDemoCopy('gw-live-demo-', 'admin');
    receiver = await startReceiver();
    text = readFileSync(demo.configFile, 'utf8');
    overrunsBefore = await overruns();
    watcher = (async () => {
      while (watching) {
        for (const { point } of UNTOUCHED) {
          const { body } = await api(`/api/v1/points/${point}`);
          const list = seen.get(point)!;
          if (typeof body.ts === 'number' && body.ts !== list.at(-1)) list.push(body.ts);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
  }, 150_000);

  afterAll(async () => {
    watching = false;
    await watcher;
    await demo?.stop();
    await receiver?.close();
  });

  it('adds a meter on a shared Modbus link: it polls at once', async () => {
    const ups2 = /  - id: ups2\n(?:    .*\n)+/.exec(text)![0];
    const meter = ups2.replace('id: ups2', 'id: ups2-meter').replace('name: UPS-2 Hall B', 'name: UPS-2 meter');
    const body = await apply(text.replace(ups2, `${ups2}\n${meter}`));
    expect(body.summary[0]).toBe('devices: + ups2-meter');
    await waitFor(async () => (typeof (await api('/api/v1/points/ups2-meter.output_load')).body.value === 'number' ? true : undefined), 15_000, 'the meter polled');
  }, 30_000);

  it('an alarm limit lowered below the value raises it; put back, the alarm returns', async () => {
    const limit = 'id: crac3-supply-temp, point: crac3.supply_temp, hi: 27,';
    expect(text).toContain(limit);
    expect(await alarm('crac3-supply-temp.hi')).toMatchObject({ state: 'normal' });
    const body = await apply(text.replace(limit, 'id: crac3-supply-temp, point: crac3.supply_temp, hi: 12,'));
    expect(body.summary).toEqual(['alarms: ~ crac3-supply-temp (levels)']);
    // its on-delay is 10 s
    const raised = await waitFor(async () => {
      const a = await alarm('crac3-supply-temp.hi');
      return a.state === 'unack' ? a : undefined;
    }, 30_000, 'the raise at HI 12');
    expect(raised.message).toContain('HI 12');
    await apply(text.replace('id: crac3-supply-temp, point: crac3.supply_temp, hi: 12,', limit));
    await waitFor(async () => ((await alarm('crac3-supply-temp.hi')).state === 'rtn-unack' ? true : undefined), 15_000, 'the return at HI 27');
  }, 60_000);

  it('adds a sync target and edits its batch size: the receiver gets everything in order', async () => {
    const target = (batchItems: number) => `\nsync:\n  targets:\n    - { id: ems, kind: http, url: "${receiver.url}", batchItems: ${batchItems} }\n`;
    expect((await apply(`${text}${target(20)}`)).summary).toEqual(['syncTargets: + ems']);
    await waitFor(() => (receiver.last.readings > 100 ? true : undefined), 20_000, 'readings at the receiver');
    const edited = await apply(text.replace(target(20), target(500)));
    expect(edited.summary).toEqual(['syncTargets: ~ ems (batchItems)']);
    const health = (await api('/api/v1/health')).body;
    expect(health.sync.targets[0]).toMatchObject({ id: 'ems', batchItems: 500 });
    const seen = receiver.last.readings;
    await waitFor(() => (receiver.last.readings > seen + 50 ? true : undefined), 20_000, 'readings after the edit');
    expect(receiver.anomalies).toEqual([]);
    expect(receiver.order.readings.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  }, 60_000);

  it('changes an incident rule and adds a broker user who can log in at once', async () => {
    const rule = 'when: { any: [ { alarm: "*.on-battery" } ], min: 2, withinS: 30 }';
    expect(text).toContain(rule);
    const users = '    - { username: demo-sensors,';
    expect(text).toContain(users);
    const hash = await hashPassword('probe-password-1');
    const next = text
      .replace(rule, rule.replace('min: 2', 'min: 3'))
      .replace(users, `    - { username: ems-probe, password: "${hash}", subscribe: ["dc1/#"] }\n${users}`);
    const body = await apply(next);
    expect(body.summary).toEqual(['incidents: ~ site-power-failure (when)', 'brokerUsers: + ems-probe']);
    const port = Number(/mqttBroker:\n  enabled: true\n  host: 127.0.0.1\n  port: (\d+)/.exec(text)![1]);
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: 'ems-probe', password: 'probe-password-1', reconnectPeriod: 0 });
    try {
      expect(client.connected).toBe(true);
    } finally {
      await client.endAsync();
    }
  }, 30_000);

  it('the untouched polled devices kept every poll slot through the six applies', async () => {
    watching = false;
    await watcher;
    for (const { point, intervalMs } of UNTOUCHED) {
      const ts = seen.get(point)!;
      expect(ts.length, point).toBeGreaterThan(4);
      const worst = Math.max(...ts.slice(1).map((t, i) => t - ts[i]!));
      expect(worst, `${point}: ${ts.length} polls seen`).toBeLessThan(intervalMs * 2);
    }
    const versions = (await api('/api/v1/config/versions')).body.versions;
    // and by the sampler's own count: no device the applies left alone missed a slot
    const after = await overruns();
    for (const [id, n] of overrunsBefore) expect(after.get(id), id).toBe(n);
    // newest first: the six applies, then the demo's own file
    expect(versions.map((v: Json) => v.source)).toEqual(['api', 'api', 'api', 'api', 'api', 'api', 'file']);
  });
});
