/**
 * Incidents on the demo as shipped: a power failure makes exactly one critical incident "Utility
 * power lost" whose members are the UPS on-battery alarms; the alarms of devices those UPSs feed
 * (the Hall A CRACs shed their compressors on battery) are grouped as its symptoms. Real
 * simulators, real gateway process, over the HTTP API. The cooling failure's incident ("Cooling
 * loss Hall A": raised once the racks warm, its members, its action and its return) is followed
 * end to end in cooling-demo.test.ts; acknowledging an active incident in incident-api.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmRecord } from '../../gateway/alarms/types.js';
import type { IncidentRecord } from '../../gateway/incidents/types.js';
import { runCli, type spawnCli, stopCli, waitFor } from '../helpers/cli.js';
import { startDemoProcess } from '../helpers/demo-copy.js';
import { oneStartAtATime } from '../helpers/start-gate.js';

/** the demo topology's devices fed by each UPS (config/demo.yaml `topology:`) */
const FED_BY_UPS = new Set(['pdu-a1', 'pdu-a2', 'crac1', 'crac2', 'crac3', 'pdu-b1']);

describe('incidents on the demo site', () => {
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
  // Straight to the simulator's control API (what `gateway scenario` calls).
  const scenario = async (name: string, onOff: 'on' | 'off') => {
    const res = await fetch(`http://127.0.0.1:${controlPort}/scenarios/${name}`, { method: 'PUT', body: JSON.stringify({ active: onOff === 'on' }) });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-incident-demo-'));
    // ports are picked inside the gate (picked before a long wait, another process may take one);
    // generous timeout: the demo starts five simulators and the gateway on a shared machine
    ({ httpPort, controlPort, configFile, child } = await oneStartAtATime(() => startDemoProcess(dir, { timeoutMs: 120_000 })));
    // With logins, act as an operator through an API token made beside the running gateway.
    if ((await fetch(`http://127.0.0.1:${httpPort}/api/v1/alarms`)).status === 401) {
      // the demo config's SNMP community comes from the environment (`gateway demo` sets its own)
      const made = runCli(['token', 'create', '--name', 'incident-e2e', '--role', 'operator', '--config', configFile], { GATEWAY_DEMO_SNMP_COMMUNITY: 'incidents-e2e' });
      expect(made.code, made.stderr).toBe(0);
      headers = { authorization: `Bearer ${made.stdout.trim()}` };
    }
    await waitFor(
      async () => {
        const devices = await api<Array<{ status: string }>>('/api/v1/devices');
        return devices.every((d) => d.status === 'up') ? true : undefined;
      },
      60_000,
      'every demo device up',
    );
  }, 480_000);

  afterAll(async () => {
    await stopCli(child);
    rmSync(dir, { recursive: true, force: true });
  });

  type Incident = IncidentRecord & { causes: Array<{ alarm: { id: string }; symptoms: Array<{ id: string }> }> };
  const raisedIncidents = async () => (await api<Incident[]>('/api/v1/incidents')).filter((i) => i.state !== 'normal');

  it('has both demo rules and no incident in normal operation', async () => {
    const all = await api<Incident[]>('/api/v1/incidents');
    expect(all.map((i) => i.id).sort()).toEqual(['cooling-loss-hall-a', 'site-power-failure']);
    expect(await raisedIncidents()).toEqual([]);
  });

  it('power failure: exactly one critical incident with the UPS alarms as members, downstream alarms as symptoms', async () => {
    await scenario('power-failure', 'on');
    try {
      const incident = await waitFor(async () => {
        const found = (await raisedIncidents()).find((i) => i.id === 'site-power-failure');
        return found && found.members.length >= 3 ? found : undefined;
      }, 15_000, 'site-power-failure with the three UPSs');
      expect(incident.severity).toBe('critical');
      expect(incident.message).toMatch(/^Utility power lost: [23] UPS on battery$/);
      expect(incident.members).toEqual(['ups1.on-battery', 'ups2.on-battery', 'ups3.on-battery']);
      // a few seconds more: still the only incident
      await new Promise((r) => setTimeout(r, 3000));
      const raised = await raisedIncidents();
      expect(raised.map((i) => i.id)).toEqual(['site-power-failure']);
      // the Hall A CRACs run on UPS-2, whose battery contact sheds their compressors: symptoms
      const alarms = await waitFor(async () => {
        const now = await api<Array<AlarmRecord & { causeId: string | null }>>('/api/v1/alarms');
        const shed = now.filter((a) => a.active && /^crac[12]\.standby-power$/.test(a.id));
        return shed.length === 2 ? now : undefined;
      }, 15_000, 'both Hall A CRACs on standby power');
      expect(alarms.find((a) => a.id === 'crac1.standby-power')?.causeId).toBe('ups2.on-battery');
      expect(alarms.find((a) => a.id === 'crac2.standby-power')?.causeId).toBe('ups2.on-battery');
      // every active alarm on a device a UPS feeds is a symptom of that UPS's alarm
      for (const a of alarms) {
        if (a.device && FED_BY_UPS.has(a.device) && a.active) expect(a.causeId, a.id).toMatch(/^ups[123]\./);
        if (a.device?.startsWith('ups')) expect(a.causeId, a.id).toBeNull();
      }
      // the incident groups exactly the active symptom alarms (read again until both reads agree:
      // a rising supply air may add one between them)
      const symptoms = await waitFor(async () => {
        const power = (await raisedIncidents()).find((i) => i.id === 'site-power-failure')!;
        const listed = power.causes.flatMap((c) => c.symptoms.map((s) => s.id)).sort();
        const grouped = (await api<Array<AlarmRecord & { causeId: string | null }>>('/api/v1/alarms')).filter((a) => a.causeId && a.active);
        return JSON.stringify(listed) === JSON.stringify(grouped.map((a) => a.id).sort()) ? listed : undefined;
      }, 10_000, 'the incident to list every symptom alarm');
      expect(symptoms).toEqual(expect.arrayContaining(['crac1.standby-power', 'crac2.standby-power']));
      const { items } = await api<{ items: Array<{ type: string; data: Record<string, unknown> }> }>('/api/v1/events?after=0&limit=1000');
      expect(items.filter((e) => e.type === 'incident.raised').map((e) => e.data.incidentId)).toEqual(['site-power-failure']);
    } finally {
      await scenario('power-failure', 'off');
    }
    await waitFor(async () => ((await api<Incident[]>('/api/v1/incidents')).find((i) => i.id === 'site-power-failure')?.active === false ? true : undefined), 60_000, 'the power incident to return');
  }, 120_000);
});
