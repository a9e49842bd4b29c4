/**
 * Alarms on the demo as a facility manager meets them: the shipped demo config raises no alarm in
 * normal operation; a power failure raises the UPS on-battery alarm in the API within 2 s; ending
 * it leaves the alarm RTN-UNACK until someone acknowledges it; a cooling failure raises the
 * compressor fault; every transition is in the events stream; health shows the alarm counters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmHealth, AlarmRecord } from '../../gateway/alarms/types.js';
import type { StoredEvent } from '../../gateway/store/types.js';
import { runCli, type spawnCli, stopCli, waitFor } from '../helpers/cli.js';
import { startDemoProcess } from '../helpers/demo-copy.js';

describe('alarms on the demo site', () => {
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
  const alarm = async (id: string) => (await api<AlarmRecord[]>('/api/v1/alarms?state=all')).find((a) => a.id === id);
  // Straight to the simulator's control API (what `gateway scenario` calls), so the 2 s measured
  // below are the gateway's, not a CLI process starting.
  const scenario = async (name: string, onOff: 'on' | 'off') => {
    const res = await fetch(`http://127.0.0.1:${controlPort}/scenarios/${name}`, { method: 'PUT', body: JSON.stringify({ active: onOff === 'on' }) });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-alarm-demo-'));
    ({ httpPort, controlPort, configFile, child } = await startDemoProcess(dir));
    // With logins, act as an operator through an API token made beside the running gateway.
    if ((await fetch(`http://127.0.0.1:${httpPort}/api/v1/alarms`)).status === 401) {
      // the demo config's SNMP community comes from the environment (`gateway demo` sets its own)
      const made = runCli(['token', 'create', '--name', 'alarm-e2e', '--role', 'operator', '--config', configFile], { GATEWAY_DEMO_SNMP_COMMUNITY: 'alarms-e2e' });
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
  }, 150_000);

  afterAll(async () => {
    await stopCli(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('has alarms configured and none active in normal operation', async () => {
    const all = await api<AlarmRecord[]>('/api/v1/alarms?state=all');
    expect(all.length).toBeGreaterThan(20);
    expect(all.map((a) => a.id)).toEqual(expect.arrayContaining(['ups1.on-battery', 'ups1.comm-loss', 'crac1.supply-temp.hi', 'crac1.supply-temp.hihi', 'pdu-a1.breaker-tripped']));
    expect(await api<AlarmRecord[]>('/api/v1/alarms')).toEqual([]);
    const health = await api<{ alarms: AlarmHealth }>('/api/v1/health');
    expect(health.alarms).toMatchObject({ active: 0, unacked: 0, flood: false });
  });

  it('power failure: on-battery raised within 2 s, RTN-UNACK when it ends, normal once acknowledged', async () => {
    const started = Date.now();
    await scenario('power-failure', 'on');
    const raised = await waitFor(async () => {
      const a = await alarm('ups1.on-battery');
      return a?.state === 'unack' ? a : undefined;
    }, 5000, 'ups1.on-battery to be raised');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(raised).toMatchObject({ severity: 'major', point: 'ups1.on_battery', active: true, value: true });
    expect(raised.message).toContain('UPS-1 Hall A');
    expect((await api<AlarmRecord[]>('/api/v1/alarms')).map((a) => a.id)).toEqual(expect.arrayContaining(['ups1.on-battery', 'ups2.on-battery']));

    await scenario('power-failure', 'off');
    await waitFor(async () => ((await alarm('ups1.on-battery'))?.state === 'rtn-unack' ? true : undefined), 5000, 'RTN-UNACK');

    const acked = await api<AlarmRecord>('/api/v1/alarms/ups1.on-battery/ack', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Gateway-User': 'kim' },
      body: JSON.stringify({ comment: 'mains back, generator test' }),
    });
    expect(acked).toMatchObject({ state: 'normal', ackComment: 'mains back, generator test' });
    expect(acked.ackedBy).toBe(headers.authorization ? 'alarm-e2e' : 'kim');

    const { items } = await api<{ items: StoredEvent[] }>('/api/v1/events?after=0&limit=1000');
    const ups1 = items.filter((e) => e.data.alarmId === 'ups1.on-battery').map((e) => e.type);
    expect(ups1).toEqual(['alarm.raised', 'alarm.returned', 'alarm.acked']);
    const seqs = items.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('cooling failure raises the CRAC compressor fault', async () => {
    await scenario('cooling-failure', 'on');
    try {
      const a = await waitFor(async () => {
        const found = await alarm('crac1.compressor-fault');
        return found?.state === 'unack' ? found : undefined;
      }, 5000, 'crac1.compressor-fault');
      expect(a.severity).toBe('critical');
    } finally {
      await scenario('cooling-failure', 'off');
    }
  });
});
