/**
 * The SNMP driver against real agents (snmpsim, and snmpsim behind a tooBig fault relay): PDU
 * halving, missing objects, counter rates, SNMPv1, and a dead agent next to a live one.
 */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../core/secret.js';
import type { SnmpConnection, SnmpDeviceConfig } from '../../drivers/snmp/device.js';
import { createSnmpDriver } from '../../drivers/snmp/driver.js';
import type { SnmpPoint } from '../../drivers/snmp/point.js';
import { peersAvailable } from '../helpers/peers.js';
import { startTooBigProxy } from '../helpers/snmp-toobig-proxy.js';
import { type SnmpsimPeer, startSnmpsim } from '../helpers/snmpsim.js';

const BASE = '1.3.6.1.4.1.99999.1';
const SCALARS = Array.from({ length: 20 }, (_, i) => `${BASE}.${i + 1}.0|66|${1000 + i}`);

function conn(port: number, extra: Partial<SnmpConnection> = {}): SnmpConnection {
  return { host: '127.0.0.1', port, version: '2c', community: new Secret('site'), timeoutMs: 400, retries: 0, maxVarbinds: 32, ...extra };
}

function device(id: string, connection: SnmpConnection, points: Omit<SnmpPoint, 'id'>[]): SnmpDeviceConfig {
  return {
    id,
    name: id,
    kind: 'other',
    driver: 'snmp',
    pollIntervalMs: 1000,
    connection,
    points: points.map((p) => ({ ...p, id: `${id}.${p.key}` })),
    traps: [],
    tables: {},
  };
}

const scalarPoints = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `g${i + 1}`, name: `g${i + 1}`, oid: `${BASE}.${i + 1}.0`, type: 'gauge' as const }));
const signal = () => AbortSignal.timeout(10_000);

describe.skipIf(!peersAvailable('snmpsim'))('snmp driver against snmpsim', () => {
  let sim: SnmpsimPeer;
  beforeAll(async () => {
    sim = await startSnmpsim({
      site: [
        ...SCALARS,
        `${BASE}.30.0|65|4294967000`,
        `${BASE}.31.0|70|5000000000`,
        `${BASE}.32.0|4x|8040`,
        `${BASE}.33.0|2|-1`,
        `${BASE}.34.0|64|10.0.0.23`,
      ],
    });
  });
  afterAll(async () => {
    await sim?.dispose();
  });

  it('halves the PDU on tooBig until the agent answers, and keeps the smaller size', async () => {
    const proxy = await startTooBigProxy(sim.port, 5);
    try {
      const driver = createSnmpDriver(device('big', conn(proxy.port, { maxVarbinds: 32 }), scalarPoints(20)));
      await driver.connect(signal());
      const samples = await driver.read(signal());
      expect(samples.map((s) => s.value)).toEqual(Array.from({ length: 20 }, (_, i) => 1000 + i));
      // 20 → tooBig, 10 → tooBig, 5 fits: 4 PDUs of 5
      expect(driver.stats()).toMatchObject({ tooBigHalvings: 2, maxVarbinds: 5 });
      expect(proxy.tooBigAnswers()).toBe(2);
      const requests = driver.stats().requests;
      await driver.read(signal());
      expect(driver.stats().requests - requests).toBe(4);
      expect(proxy.tooBigAnswers()).toBe(2);
      await driver.close();
    } finally {
      await proxy.close();
    }
  });

  it('marks a missing object bad not-available and reads the others', async () => {
    const points = [...scalarPoints(2), { key: 'missing', name: 'missing', oid: `${BASE}.99.0` }, { key: 'ip', name: 'ip', oid: `${BASE}.34.0`, type: 'ipaddress' as const }];
    const driver = createSnmpDriver(device('partial', conn(sim.port), points));
    await driver.connect(signal());
    const samples = await driver.read(signal());
    expect(samples.map((s) => [s.quality, s.value, s.reason])).toEqual([
      ['good', 1000, undefined],
      ['good', 1001, undefined],
      ['bad', null, 'not-available'],
      ['good', '10.0.0.23', undefined],
    ]);
    await driver.close();
  });

  it('reads over SNMPv1, where one unknown OID fails the whole PDU', async () => {
    const points = [scalarPoints(1)[0]!, { key: 'missing', name: 'missing', oid: `${BASE}.99.0` }, scalarPoints(3)[2]!];
    const driver = createSnmpDriver(device('v1', conn(sim.port, { version: '1' }), points));
    await driver.connect(signal());
    const samples = await driver.read(signal());
    expect(samples.map((s) => [s.quality, s.value])).toEqual([
      ['good', 1000],
      ['bad', null],
      ['good', 1002],
    ]);
    expect(samples[1]!.reason).toBe('not-available');
    await driver.close();
  });

  it('counts, BITS, sentinels and Counter64 as the map says; a rate needs two polls', async () => {
    let t = 1_000_000;
    const points: Omit<SnmpPoint, 'id'>[] = [
      { key: 'c32', name: 'c32', oid: `${BASE}.30.0`, type: 'counter' },
      { key: 'c32_rate', name: 'c32 rate', oid: `${BASE}.30.0`, type: 'counter', rate: true },
      { key: 'c64', name: 'c64', oid: `${BASE}.31.0`, type: 'counter64' },
      { key: 'bit0', name: 'bit0', oid: `${BASE}.32.0`, bit: 0 },
      { key: 'bit1', name: 'bit1', oid: `${BASE}.32.0`, bit: 1 },
      { key: 'bit9', name: 'bit9', oid: `${BASE}.32.0`, bit: 9 },
      { key: 'sentinel', name: 'sentinel', oid: `${BASE}.33.0`, sentinel: [-1] },
      { key: 'wrong_type', name: 'wrong', oid: `${BASE}.1.0`, type: 'integer' },
    ];
    const driver = createSnmpDriver(device('cnt', conn(sim.port), points), { now: () => t });
    await driver.connect(signal());
    const first = await driver.read(signal());
    expect(first.map((s) => s.value)).toEqual([4294967000, null, 5_000_000_000, true, false, true, null, null]);
    expect(first.map((s) => s.reason)).toEqual([undefined, 'not-available', undefined, undefined, undefined, undefined, 'not-available', 'config']);
    t += 10_000;
    const second = await driver.read(signal());
    // a static counter: 0 per second once there are two polls
    expect(second[1]).toMatchObject({ quality: 'good', value: 0 });
    await driver.close();
  });

  it('a dead agent (nobody listening) does not delay reads of a live one', async () => {
    // a UDP port bound and silent: requests vanish as they do to a powered-off agent
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const dead = createSnmpDriver(device('dead', conn(silent.address().port, { timeoutMs: 3000 }), scalarPoints(2)));
    const live = createSnmpDriver(device('live', conn(sim.port), scalarPoints(2)));
    try {
      await dead.connect(signal());
      await live.connect(signal());
      const deadRead = dead.read(signal()).then(
        () => 'answered',
        (err: Error) => err.name,
      );
      const started = Date.now();
      for (let i = 0; i < 5; i++) expect((await live.read(signal())).every((s) => s.quality === 'good')).toBe(true);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(await deadRead).toBe('DriverError');
      expect(dead.stats().timeouts).toBe(1);
    } finally {
      await dead.close();
      await live.close();
      silent.close();
    }
  });

  it('an abort ends a read at once, even while the agent is silent', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const driver = createSnmpDriver(device('abort', conn(silent.address().port, { timeoutMs: 5000 }), scalarPoints(1)));
    try {
      await driver.connect(signal());
      const controller = new AbortController();
      const reason = new Error('poll deadline');
      setTimeout(() => controller.abort(reason), 100);
      const started = Date.now();
      await expect(driver.read(controller.signal)).rejects.toBe(reason);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await driver.close();
      silent.close();
    }
  });
});
