/**
 * The driver contract for SNMP: v2c against snmpsim (values from a .snmprec file; the link breaks
 * by killing the simulator and comes back on the same port), and v3 authPriv (SHA-256/AES)
 * against Net-SNMP's snmpd reading this machine's MIB-II, cross-checked with `snmpget`.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../core/secret.js';
import type { SnmpConnection, SnmpDeviceConfig } from '../../drivers/snmp/device.js';
import { createSnmpDriver } from '../../drivers/snmp/driver.js';
import type { SnmpPoint } from '../../drivers/snmp/point.js';
import { peersAvailable } from '../helpers/peers.js';
import { SNMPD_USERS, type SnmpdPeer, startSnmpd } from '../helpers/snmpd.js';
import { startSnmpsim } from '../helpers/snmpsim.js';
import { describeDriverContract } from './driver-contract.js';

const UPS_RECORDS = [
  '1.3.6.1.2.1.1.5.0|4|ups-hall-b',
  '1.3.6.1.2.1.33.1.2.4.0|2|97',
  '1.3.6.1.2.1.33.1.4.4.1.2.1|2|231',
  '1.3.6.1.2.1.33.1.2.3.0|2|42',
];

function point(key: string, oid: string, extra: Partial<SnmpPoint> = {}): SnmpPoint {
  return { id: `ups3.${key}`, key, name: key, oid, ...extra };
}

function device(connection: SnmpConnection, points: SnmpPoint[]): SnmpDeviceConfig {
  return { id: 'ups3', name: 'UPS 3', kind: 'ups', driver: 'snmp', pollIntervalMs: 1000, connection, points, traps: [], tables: {} };
}

const v2c = (port: number, community: string): SnmpConnection => ({
  host: '127.0.0.1',
  port,
  version: '2c',
  community: new Secret(community),
  timeoutMs: 300,
  retries: 0,
  maxVarbinds: 32,
});

describeDriverContract(
  'snmp v2c (snmpsim)',
  async () => {
    const peer = await startSnmpsim({ 'ups-ro': UPS_RECORDS });
    const driver = createSnmpDriver(
      device(v2c(peer.port, 'ups-ro'), [
        point('battery_charge', '1.3.6.1.2.1.33.1.2.4.0', { type: 'integer', unit: '%' }),
        point('output_voltage', '1.3.6.1.2.1.33.1.4.4.1.2.1', { type: 'integer', unit: 'V' }),
        point('sys_name', '1.3.6.1.2.1.1.5.0', { type: 'string' }),
      ]),
    );
    let pushed = 0;
    return {
      driver,
      expectedPointIds: ['ups3.battery_charge', 'ups3.output_voltage', 'ups3.sys_name'],
      breakLink: () => peer.stop(),
      restoreLink: () => peer.start(),
      teardown: () => peer.dispose(),
      // the trap receiver's way in: a trap rule's `set` arrives through subscribe()
      async changeValue() {
        pushed += 1;
        driver.pushTrapValues({ battery_charge: pushed, not_a_point: 1 });
        return pushed;
      },
    };
  },
  { skip: !peersAvailable('snmpsim'), push: true },
);

const MIB2 = { sysUpTime: '1.3.6.1.2.1.1.3.0', sysName: '1.3.6.1.2.1.1.5.0', ifNumber: '1.3.6.1.2.1.2.1.0', sysObjectID: '1.3.6.1.2.1.1.2.0' };

function v3Connection(peer: SnmpdPeer): SnmpConnection {
  const u = SNMPD_USERS.sha256aes;
  return {
    host: '127.0.0.1',
    port: peer.port,
    version: '3',
    v3: { user: u.user, level: 'authPriv', authProtocol: 'sha256', authKey: new Secret(u.authKey), privProtocol: 'aes', privKey: new Secret(u.privKey) },
    timeoutMs: 500,
    retries: 0,
    maxVarbinds: 32,
  };
}

const v3Points = () => [
  point('uptime', MIB2.sysUpTime, { type: 'timeticks', scale: 0.01, unit: 's' }),
  point('sys_name', MIB2.sysName, { type: 'string' }),
  point('if_number', MIB2.ifNumber, { type: 'integer' }),
  point('sys_object_id', MIB2.sysObjectID, { type: 'oid' }),
];

describeDriverContract(
  'snmp v3 authPriv SHA-256/AES (snmpd)',
  async () => {
    const peer = await startSnmpd();
    const driver = createSnmpDriver(device(v3Connection(peer), v3Points()));
    let pushed = 0;
    return {
      driver,
      expectedPointIds: ['ups3.uptime', 'ups3.sys_name', 'ups3.if_number', 'ups3.sys_object_id'],
      breakLink: () => peer.stop(),
      restoreLink: () => peer.start(),
      teardown: () => peer.dispose(),
      async changeValue() {
        pushed += 1;
        driver.pushTrapValues({ uptime: pushed });
        return pushed;
      },
    };
  },
  { skip: !peersAvailable('snmpd'), push: true },
);

/** `snmpget -Oqv` of one OID with the same v3 user: the value as Net-SNMP's own tools read it. */
function snmpget(peer: SnmpdPeer, oid: string, user: (typeof SNMPD_USERS)[keyof typeof SNMPD_USERS]): string {
  const auth = user.authProtocol;
  return execFileSync(
    'snmpget',
    ['-v3', '-l', 'authPriv', '-u', user.user, '-a', auth, '-A', user.authKey, '-x', user.privProtocol, '-X', user.privKey, '-Oqvnt', `127.0.0.1:${peer.port}`, oid],
    { encoding: 'utf8', timeout: 10_000 },
  ).trim();
}

describe.skipIf(!peersAvailable('snmpd', 'snmptrap'))('snmp v3 values against snmpget', () => {
  let peer: SnmpdPeer;
  beforeAll(async () => {
    peer = await startSnmpd({ sysName: 'hall-b-agent' });
  });
  afterAll(async () => {
    await peer?.dispose();
  });

  it('reads MIB-II as snmpget reads it (SHA-256/AES)', async () => {
    const driver = createSnmpDriver(device(v3Connection(peer), v3Points()));
    await driver.connect(AbortSignal.timeout(5000));
    const before = Number(snmpget(peer, MIB2.sysUpTime, SNMPD_USERS.sha256aes));
    const samples = await driver.read(AbortSignal.timeout(5000));
    const after = Number(snmpget(peer, MIB2.sysUpTime, SNMPD_USERS.sha256aes));
    await driver.close();
    const [uptime, name, ifNumber, objectId] = samples;
    expect(samples.every((s) => s.quality === 'good')).toBe(true);
    // timeticks are hundredths; the point's scale makes seconds
    expect(uptime!.value as number).toBeGreaterThanOrEqual(before / 100);
    expect(uptime!.value as number).toBeLessThanOrEqual(after / 100);
    expect(name!.value).toBe('hall-b-agent');
    expect(name!.value).toBe(snmpget(peer, MIB2.sysName, SNMPD_USERS.sha256aes).replace(/^"|"$/g, ''));
    expect(ifNumber!.value).toBe(Number(snmpget(peer, MIB2.ifNumber, SNMPD_USERS.sha256aes)));
    expect(objectId!.value).toBe(snmpget(peer, MIB2.sysObjectID, SNMPD_USERS.sha256aes).replace(/^\./, ''));
  });

  it('a wrong privacy key is a retryable DriverError, not a value', async () => {
    const conn = v3Connection(peer);
    conn.v3 = { ...conn.v3!, privKey: new Secret('not-the-key') };
    const driver = createSnmpDriver(device(conn, v3Points()));
    await driver.connect(AbortSignal.timeout(5000));
    await expect(driver.read(AbortSignal.timeout(5000))).rejects.toMatchObject({ name: 'DriverError', deviceId: 'ups3' });
    await driver.close();
  });
});
