/**
 * The SNMP driver's SET (issue 14) against Debian's snmpd, checked with the `snmpget` command
 * (not the driver): strings, enum labels, booleans with trueValues/falseValue, scale in reverse,
 * v2c and v3, and the agent's refusals named by their error status.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriverError } from '../../core/errors.js';
import { Secret } from '../../core/secret.js';
import type { SnmpConnection, SnmpDeviceConfig } from '../../drivers/snmp/device.js';
import { createSnmpDriver, type SnmpDriver } from '../../drivers/snmp/driver.js';
import type { SnmpPoint } from '../../drivers/snmp/point.js';
import { peersAvailable } from '../helpers/peers.js';
import { SNMPD_RW_USER, type SnmpdPeer, startSnmpd } from '../helpers/snmpd.js';

const run = promisify(execFile);

const OID = {
  sysDescr: '1.3.6.1.2.1.1.1.0',
  sysContact: '1.3.6.1.2.1.1.4.0',
  sysName: '1.3.6.1.2.1.1.5.0',
  sysLocation: '1.3.6.1.2.1.1.6.0',
  // enabled(1), disabled(2); writable unless snmpd.conf sets authtrapenable
  snmpEnableAuthenTraps: '1.3.6.1.2.1.11.30.0',
};

let agent: SnmpdPeer;
const drivers: SnmpDriver[] = [];
const signal = () => AbortSignal.timeout(10_000);

function v2c(community: string, version: '1' | '2c' = '2c'): SnmpConnection {
  return { host: '127.0.0.1', port: agent.port, version, community: new Secret(community), timeoutMs: 1000, retries: 0, maxVarbinds: 32 };
}

function v3(): SnmpConnection {
  const u = SNMPD_RW_USER;
  return {
    ...v2c(''),
    version: '3',
    v3: { user: u.user, level: 'authPriv', authProtocol: 'sha256', authKey: new Secret(u.authKey), privProtocol: 'aes', privKey: new Secret(u.privKey) },
  };
}

const POINTS: Omit<SnmpPoint, 'id'>[] = [
  { key: 'contact', name: 'contact', oid: OID.sysContact },
  { key: 'location', name: 'location', oid: OID.sysLocation, type: 'string' },
  { key: 'descr', name: 'descr', oid: OID.sysDescr },
  { key: 'name', name: 'name', oid: OID.sysName, type: 'string' },
  { key: 'auth_traps', name: 'auth traps', oid: OID.snmpEnableAuthenTraps, type: 'integer', enum: { '1': 'enabled', '2': 'disabled' } },
  { key: 'auth_traps_on', name: 'auth traps on', oid: OID.snmpEnableAuthenTraps, trueValues: [1], falseValue: 2 },
  { key: 'auth_traps_true_only', name: 'only true', oid: OID.snmpEnableAuthenTraps, trueValues: [1] },
  // the same object as a number: engineering = raw × 0.5 + 1 (1.5 = enabled, 2 = disabled)
  { key: 'auth_traps_scaled', name: 'scaled', oid: OID.snmpEnableAuthenTraps, type: 'integer', scale: 0.5, offset: 1 },
  { key: 'contact_as_integer', name: 'wrong map', oid: OID.sysContact, type: 'integer' },
  { key: 'missing', name: 'missing', oid: '1.3.6.1.4.1.99999.7.0' },
];

async function connected(connection: SnmpConnection): Promise<SnmpDriver> {
  const d = createSnmpDriver({
    id: 'agent',
    name: 'agent',
    kind: 'other',
    driver: 'snmp',
    pollIntervalMs: 1000,
    connection,
    points: POINTS.map((p) => ({ ...p, id: `agent.${p.key}` })),
    traps: [],
    tables: {},
  } as SnmpDeviceConfig);
  drivers.push(d);
  await d.connect(signal());
  return d;
}

/** The value as snmpget (Net-SNMP's own client, read-only community) sees it. */
async function snmpget(oid: string): Promise<string> {
  const { stdout } = await run('snmpget', ['-v2c', '-c', agent.community, '-On', '-Oqv', '-t', '2', '-r', '0', `127.0.0.1:${agent.port}`, oid]);
  return stdout.trim().replace(/^"|"$/g, '');
}

async function refusal(d: SnmpDriver, key: string, value: string | number | boolean): Promise<DriverError> {
  const err = await d.write(`agent.${key}`, value, signal()).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DriverError);
  expect((err as DriverError).retryable).toBe(false);
  return err as DriverError;
}

// the snmptrap check covers the Net-SNMP command-line tools, snmpget among them
describe.skipIf(!peersAvailable('snmpd', 'snmptrap'))('SNMP SET against snmpd', () => {
  beforeAll(async () => {
    agent = await startSnmpd({ writable: true });
  });
  afterAll(async () => {
    for (const d of drivers) await d.close();
    await agent?.dispose();
  });

  it('sets an OctetString over v2c (syntax learnt from the agent) and snmpget sees it', async () => {
    const d = await connected(v2c(agent.rwCommunity!));
    await d.write('agent.contact', 'facilities@example.org', signal());
    expect(await snmpget(OID.sysContact)).toBe('facilities@example.org');
    // UTF-8 text (snmpget shows it as hex, so the driver's own read checks it)
    await d.write('agent.contact', '시설 관리자', signal());
    expect((await d.read(signal())).find((s) => s.pointId === 'agent.contact')?.value).toBe('시설 관리자');
    await d.write('agent.contact', 'night shift', signal());
    expect(await snmpget(OID.sysContact)).toBe('night shift');
  });

  it('sets over v3 authPriv', async () => {
    const d = await connected(v3());
    await d.write('agent.location', 'Hall B, row 3', signal());
    expect(await snmpget(OID.sysLocation)).toBe('Hall B, row 3');
  });

  it('sends an enum label as its raw INTEGER, and booleans as trueValues[0] / falseValue', async () => {
    const d = await connected(v2c(agent.rwCommunity!));
    await d.write('agent.auth_traps', 'disabled', signal());
    expect(await snmpget(OID.snmpEnableAuthenTraps)).toBe('2');
    await d.write('agent.auth_traps_on', true, signal());
    expect(await snmpget(OID.snmpEnableAuthenTraps)).toBe('1');
    await d.write('agent.auth_traps_on', false, signal());
    expect(await snmpget(OID.snmpEnableAuthenTraps)).toBe('2');
    // and the driver reads back what it wrote
    const samples = await d.read(signal());
    expect(samples.find((s) => s.pointId === 'agent.auth_traps')?.value).toBe('disabled');
    expect(samples.find((s) => s.pointId === 'agent.auth_traps_on')?.value).toBe(false);
  });

  it('refuses what the map cannot express, without sending', async () => {
    const d = await connected(v2c(agent.rwCommunity!));
    await d.write('agent.auth_traps', 'enabled', signal());
    const noFalse = await refusal(d, 'auth_traps_true_only', false);
    expect(noFalse.reason).toBe('config');
    expect(noFalse.message).toMatch(/falseValue/);
    expect((await refusal(d, 'auth_traps', 'sometimes')).reason).toBe('wrongValue');
    expect(await snmpget(OID.snmpEnableAuthenTraps)).toBe('1');
  });

  it('undoes scale and offset and rounds to the integer on the wire', async () => {
    const d = await connected(v2c(agent.rwCommunity!));
    // raw = (1.9 - 1) / 0.5 = 1.8 → 2
    await d.write('agent.auth_traps_scaled', 1.9, signal());
    expect(await snmpget(OID.snmpEnableAuthenTraps)).toBe('2');
    await d.write('agent.auth_traps_scaled', 1.5, signal());
    expect(await snmpget(OID.snmpEnableAuthenTraps)).toBe('1');
    // raw 3 is no value of the enumeration: the agent's wrongValue
    expect((await refusal(d, 'auth_traps_scaled', 2.5)).reason).toBe('wrongValue');
    expect(await snmpget(OID.snmpEnableAuthenTraps)).toBe('1');
  });

  it('names the agent refusals: notWritable, wrongType, noAccess, noSuchName (v1)', async () => {
    const d = await connected(v2c(agent.rwCommunity!));
    const before = await snmpget(OID.sysDescr);
    expect((await refusal(d, 'descr', 'changed')).reason).toBe('notWritable');
    // sysName is fixed by snmpd.conf, so read-only
    expect((await refusal(d, 'name', 'other')).reason).toBe('notWritable');
    expect((await refusal(d, 'contact_as_integer', 5)).reason).toBe('wrongType');
    expect((await refusal(d, 'missing', 'x')).reason).toBe('noSuchObject');
    expect(await snmpget(OID.sysDescr)).toBe(before);

    const readOnly = await connected(v2c(agent.community));
    expect((await refusal(readOnly, 'location', 'nope')).reason).toBe('noAccess');

    const v1 = await connected(v2c(agent.rwCommunity!, '1'));
    await v1.write('agent.location', 'set over v1', signal());
    expect(await snmpget(OID.sysLocation)).toBe('set over v1');
    expect((await refusal(v1, 'descr', 'changed')).reason).toBe('noSuchName');
  });
});
