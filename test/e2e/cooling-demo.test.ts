/**
 * The cooling story of the demo as shipped (issue 15, item 5): `cooling-failure` trips the duty
 * CRAC-1, Hall A's rack inlet air warms, the incident "Cooling loss Hall A" is raised, the action
 * start-standby-crac starts CRAC-2 through the control service (a verified write), the racks cool
 * down again and the incident returns; its snapshot shows the warming before the raise. Real simulators, real gateway process, over the HTTP API;
 * every step waits on the simulated physics in real time (about two minutes in all).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionRunRecord } from '../../gateway/actions/types.js';
import type { IncidentRecord } from '../../gateway/incidents/types.js';
import { runCli, type spawnCli, stopCli, waitFor } from '../helpers/cli.js';
import { startDemoProcess } from '../helpers/demo-copy.js';
import { oneStartAtATime } from '../helpers/start-gate.js';

interface PointRow {
  id: string;
  value: unknown;
}
interface StoredEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

interface SnapshotBody {
  raisedAt: number;
  series: Array<{ pointId: string; ts: number[]; value: number[] }>;
}
/** a series' last value at or before `at` */
function valueAt(s: SnapshotBody['series'][number], at: number): number {
  let found: number | undefined;
  s.ts.forEach((t, i) => {
    if (t <= at) found = s.value[i];
  });
  if (found === undefined) throw new Error(`${s.pointId}: no sample before ${at}`);
  return found;
}

describe('the cooling demo: standby CRAC started by the action, Hall A recovers', () => {
  let dir: string;
  let configFile: string;
  let httpPort: number;
  let controlPort: number;
  let child: ReturnType<typeof spawnCli>;
  let headers: Record<string, string> = {};

  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const scenario = async (name: string, active: boolean) => {
    const res = await fetch(`http://127.0.0.1:${controlPort}/scenarios/${name}`, { method: 'PUT', body: JSON.stringify({ active }) });
    expect(res.status).toBe(200);
  };
  const points = async () => new Map((await api<PointRow[]>('/api/v1/points')).map((p) => [p.id, p.value]));
  /** the warmest rack inlet of Hall A now */
  const warmestRack = async () => {
    const temps = [...(await points())].filter(([id]) => /^racks-a\.a\d\d-temperature$/.test(id)).map(([, v]) => v as number);
    expect(temps).toHaveLength(8);
    return Math.max(...temps);
  };
  const incident = async () => (await api<IncidentRecord[]>('/api/v1/incidents')).find((i) => i.id === 'cooling-loss-hall-a')!;
  const events = async (type: string) => (await api<{ items: StoredEvent[] }>('/api/v1/events?after=0&limit=1000')).items.filter((e) => e.type === type);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-cooling-demo-'));
    // ports are picked inside the gate (picked before a long wait, another process may take one);
    // generous timeout: the demo starts five simulators and the gateway on a shared machine
    ({ httpPort, controlPort, configFile, child } = await oneStartAtATime(() => startDemoProcess(dir, { timeoutMs: 120_000 })));
    // With logins, act as an operator through an API token made beside the running gateway.
    if ((await fetch(`http://127.0.0.1:${httpPort}/api/v1/incidents`)).status === 401) {
      const made = runCli(['token', 'create', '--name', 'cooling-e2e', '--role', 'operator', '--config', configFile], { GATEWAY_DEMO_SNMP_COMMUNITY: 'cooling-e2e' });
      expect(made.code, made.stderr).toBe(0);
      headers = { authorization: `Bearer ${made.stdout.trim()}` };
    }
    await waitFor(
      async () => {
        const values = await points();
        return values.get('crac2.unit_status') !== undefined && values.get('racks-a.a01-temperature') !== undefined ? true : undefined;
      },
      60_000,
      'CRAC-2 and the Hall A racks reporting',
    );
  }, 480_000);

  afterAll(async () => {
    await scenario('cooling-failure', false).catch(() => undefined);
    await stopCli(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('cooling failure → incident raised → standby CRAC started (verified write) → racks cool down → incident returns', async () => {
    // before: CRAC-1 is the duty unit, CRAC-2 its standby, the racks steady, no incident
    const before = await points();
    expect(before.get('crac1.unit_status')).toBe('cooling');
    expect(before.get('crac2.unit_on')).toBe(false);
    expect(before.get('crac2.unit_status')).toBe('standby');
    expect((await incident()).active).toBe(false);
    const normalRack = await warmestRack();

    const trippedAt = Date.now();
    await scenario('cooling-failure', true);
    const raised = await waitFor(async () => {
      const i = await incident();
      return i.active ? i : undefined;
    }, 90_000, 'cooling-loss-hall-a raised');
    expect(raised.severity).toBe('critical');
    expect(raised.message).toBe('Cooling loss Hall A: crac1');
    expect(raised.members).toEqual(['crac1.compressor-fault']);
    // the racks were warming before the raise
    expect(await warmestRack()).toBeGreaterThan(normalRack + 0.5);

    // the incident's snapshot holds the tripped unit's supply air and the Hall A racks (its zone
    // through the topology) warming between the trip and the raise
    const snap = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/incidents/cooling-loss-hall-a/snapshot`, { headers });
      return res.ok ? ((await res.json()) as SnapshotBody) : undefined;
    }, 15_000, 'the incident snapshot');
    expect(snap.raisedAt).toBe(raised.raisedAt);
    const rise = (s: SnapshotBody['series'][number]) => valueAt(s, snap.raisedAt) - valueAt(s, trippedAt);
    expect(rise(snap.series.find((s) => s.pointId === 'crac1.supply_temp')!)).toBeGreaterThan(1);
    const racks = snap.series.filter((s) => /^racks-a\.a\d\d-temperature$/.test(s.pointId));
    expect(racks).toHaveLength(8);
    expect(Math.max(...racks.map(rise))).toBeGreaterThan(0.5);

    const run = await waitFor(async () => {
      const found = (await events('action.run')).find((e) => e.data.actionId === 'start-standby-crac');
      return found ? (found.data as unknown as ActionRunRecord) : undefined;
    }, 30_000, 'the start-standby-crac run');
    expect(run.trigger).toMatchObject({ type: 'incident', id: 'cooling-loss-hall-a', transition: 'raised' });
    expect(run.ok).toBe(true);
    expect(run.steps).toHaveLength(1);
    expect(run.steps[0]).toMatchObject({ kind: 'write', ok: true, result: { result: 'verified', oldValue: false, readBack: true } });
    // the write went through the control service, as the action
    const writes = (await events('control.write')).filter((e) => e.data.pointId === 'crac2.unit_on');
    expect(writes).toHaveLength(1);
    expect(writes[0]!.data).toMatchObject({ actor: { kind: 'action', name: 'action:start-standby-crac' }, requested: true, result: 'verified', readBack: true });

    await waitFor(async () => {
      const v = await points();
      return v.get('crac2.unit_on') === true && v.get('crac2.unit_status') === 'cooling' ? true : undefined;
    }, 10_000, 'CRAC-2 running');
    const now = await points();
    // the scenario is still on: the duty unit stays tripped, the standby unit does the cooling
    expect(now.get('crac1.unit_status')).toBe('fault');
    expect(now.get('crac2.compressor_fault')).toBe(false);

    // Hall A recovers: the warmest rack falls from its peak back to where it was before
    const peak = await warmestRack();
    expect(peak).toBeGreaterThan(normalRack + 0.5);
    await waitFor(async () => ((await warmestRack()) < peak - 0.5 ? true : undefined), 30_000, 'the Hall A racks cooling down');
    let last = peak;
    await waitFor(
      async () => {
        last = await warmestRack();
        return last < normalRack + 0.4 ? true : undefined;
      },
      60_000,
      'the Hall A racks back to normal',
    ).catch((err) => {
      throw new Error(`${err.message}: before ${normalRack}, peak ${peak}, now ${last}`);
    });

    // the racks stopped warming: the incident returns once its window (60 s) has passed
    const returned = await waitFor(async () => {
      const i = await incident();
      return i.active ? undefined : i;
    }, 120_000, 'cooling-loss-hall-a returned');
    expect(returned.returnedAt).toBeGreaterThan(returned.raisedAt!);
    expect(returned.state).toBe('rtn-unack');
    const acked = await api<IncidentRecord>('/api/v1/incidents/cooling-loss-hall-a/ack', { method: 'POST', headers: { 'content-type': 'application/json', 'X-Gateway-User': 'kim' }, body: '{}' });
    expect(acked.state).toBe('normal');
    // one incident, one action run: the compressor fault still active raised nothing again
    expect((await events('incident.raised')).filter((e) => e.data.incidentId === 'cooling-loss-hall-a')).toHaveLength(1);
    expect((await events('action.run')).filter((e) => e.data.actionId === 'start-standby-crac')).toHaveLength(1);
  }, 240_000);
});
