/**
 * A trap end to end through the whole gateway: an SNMP device on the built-in ups-mib profile,
 * polled from snmpsim (mains normal: on_battery false), and the site's trap receiver. One v2c
 * upsTrapOnBattery from `snmptrap` gives an `snmp.trap` event in GET /api/v1/events and, without
 * waiting for the next poll (a minute away), an active on-battery alarm within 2 s.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../app/start-gateway.js';
import { loadSiteConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import { openAuthDb } from '../../gateway/auth/index.js';
import { createTokenStore } from '../../gateway/auth/tokens.js';
import type { AlarmRecord } from '../../gateway/alarms/types.js';
import { peersAvailable } from '../helpers/peers.js';
import { type SnmpsimPeer, startSnmpsim } from '../helpers/snmpsim.js';
import { createTrapSender, type TrapSender } from '../helpers/snmptrap.js';

const RUN = peersAvailable('snmpsim', 'snmptrap');

const TRAP_COMMUNITY = 'e2e-trap-community';
const POLL_COMMUNITY = 'e2e-poll';
const ENV = { SNMP_E2E_TRAP_COMMUNITY: TRAP_COMMUNITY, SNMP_E2E_POLL_COMMUNITY: POLL_COMMUNITY };
const UPS_MIB_RECORDS = readFileSync(new URL('../fixtures/snmprec/ups-mib.snmprec', import.meta.url), 'utf8').split('\n').filter(Boolean);

interface StoredEventBody {
  items: Array<{ seq: number; type: string; data: Record<string, unknown> }>;
}

describe.skipIf(!RUN)('an SNMP trap through the whole gateway', () => {
  let dir: string;
  let agent: SnmpsimPeer;
  let gateway: RunningGateway;
  let sender: TrapSender;
  let token: string;
  const saved: Record<string, string | undefined> = {};

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${gateway.port}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  const onBatteryAlarm = async () => (await api<AlarmRecord[]>('/api/v1/alarms?state=all')).find((a) => a.point === 'ups1.on_battery');

  async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await check().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    for (const [k, v] of Object.entries(ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    agent = await startSnmpsim({ [POLL_COMMUNITY]: UPS_MIB_RECORDS });
    dir = mkdtempSync(join(tmpdir(), 'gw-snmp-trap-alarm-'));
    const file = join(dir, 'site.yaml');
    writeFileSync(
      file,
      `gateway: { id: e2e-snmp-traps, dataDir: ./data }
http: { host: 127.0.0.1, port: 0 }
storage: { commitIntervalMs: 50 }
snmpTraps:
  host: 127.0.0.1
  port: 0
  communities: ["\${SNMP_E2E_TRAP_COMMUNITY}"]
devices:
  - id: ups1
    name: UPS-1 Hall A
    kind: ups
    driver: snmp
    connection: { host: 127.0.0.1, port: ${agent.port}, community: "\${SNMP_E2E_POLL_COMMUNITY}", timeoutMs: 1000 }
    # the next poll is a minute away: what changes on_battery in this test is the trap
    pollIntervalMs: 60000
    profile: ups-mib
`,
    );
    const config = loadSiteConfig(file);
    mkdirSync(config.gateway.dataDir, { recursive: true });
    const authDb = openAuthDb(join(config.gateway.dataDir, 'auth.db'));
    token = createTokenStore(authDb).create('trap-e2e', 'viewer').token;
    authDb.close();
    gateway = await startGateway(config, { logger: silentLogger, version: 'test', firstAdmin: false });
    sender = createTrapSender();
    // the first poll has landed (mains normal: on_battery false) and been committed
    await until(async () => ((await api<{ status: string; polls: number }>('/api/v1/devices/ups1')).polls >= 1 ? true : undefined), 'the first poll', 15_000);
    await new Promise((r) => setTimeout(r, 300));
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await agent?.dispose();
    sender?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('turns upsTrapOnBattery into an event and an active on-battery alarm within 2 s', async () => {
    const health = await api<{ snmp: { traps: { port: number; accepted: number } } }>('/api/v1/health');
    const trapPort = health.snmp.traps.port;
    expect(trapPort).toBeGreaterThan(0);
    const before = await onBatteryAlarm();
    expect(before?.active ?? false).toBe(false);

    const sentAt = Date.now();
    const res = await sender.run(['-v', '2c', '-c', TRAP_COMMUNITY, `127.0.0.1:${trapPort}`, '', '1.3.6.1.2.1.33.2.1', '1.3.6.1.2.1.33.1.2.2.0', 'i', '3']);
    expect(res.code, res.stderr).toBe(0);

    const alarm = await until(async () => {
      const a = await onBatteryAlarm();
      return a?.active ? a : undefined;
    }, 'the on-battery alarm', 2000);
    expect(Date.now() - sentAt).toBeLessThan(2000);
    expect(alarm).toMatchObject({ device: 'ups1', severity: 'major', value: true });

    const events = await api<StoredEventBody>('/api/v1/events?limit=1000');
    const trap = events.items.find((e) => e.type === 'snmp.trap');
    expect(trap?.data).toMatchObject({
      deviceId: 'ups1',
      deviceName: 'UPS-1 Hall A',
      trap: 'upsTrapOnBattery',
      oid: '1.3.6.1.2.1.33.2.1',
      varbinds: [{ oid: '1.3.6.1.2.1.33.1.2.2.0', type: 'integer', value: 3 }],
    });
    // the alarm was raised after (and because of) the trap event
    const raised = events.items.find((e) => e.type === 'alarm.raised' && (e.data as { point?: string }).point === 'ups1.on_battery');
    expect(raised?.seq ?? 0).toBeGreaterThan(trap?.seq ?? Number.MAX_SAFE_INTEGER);
    const after = await api<{ snmp: { traps: { accepted: number } } }>('/api/v1/health');
    expect(after.snmp.traps.accepted).toBe(health.snmp.traps.accepted + 1);
  }, 20_000);
});
