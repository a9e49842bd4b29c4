/**
 * The site's SNMP trap receiver, started through the SNMP module from a config the real loader
 * read, with Debian's `snmptrap` / `snmpinform` as senders: v2c, v1 (RFC 3584 mapping) and v3
 * authPriv traps become `snmp.trap` events and push their rule's `set` values to the device's
 * driver; informs are acknowledged; wrong communities, wrong v3 keys, unknown senders, junk
 * datagrams and a flood over maxPerSecond are counted and dropped, and the receiver still answers.
 * A port already taken fails the start with a message that says so.
 */
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSiteConfig, Secret } from '../../config/index.js';
import type { StartedDrivers } from '../../core/driver-module.js';
import { isPushSource } from '../../core/driver.js';
import { createLogger, silentLogger } from '../../core/logger.js';
import type { Sample } from '../../core/types.js';
import type { SnmpDeviceConfig, SnmpTrapsSection } from '../../drivers/snmp/device.js';
import { snmpModule } from '../../drivers/snmp/module.js';
import { startTrapReceiver } from '../../drivers/snmp/traps/receiver.js';
import { peersAvailable } from '../helpers/peers.js';
import { createTrapSender, type TrapSender } from '../helpers/snmptrap.js';

const RUN = peersAvailable('snmptrap');

const COMMUNITY = 'trap-it-c0mmunity';
const AUTH_KEY = 'trap-it-auth-key';
const PRIV_KEY = 'trap-it-priv-key';
const ENV = { SNMP_IT_TRAP_COMMUNITY: COMMUNITY, SNMP_IT_AUTH: AUTH_KEY, SNMP_IT_PRIV: PRIV_KEY, SNMP_IT_POLL_COMMUNITY: 'poll-only' };

const ON_BATTERY = '1.3.6.1.2.1.33.2.1';

const PROFILE = `# Test profile: a few UPS-MIB (RFC 1628) objects and traps, enough for the receiver
name: Trap test UPS
kind: ups
driver: snmp
points:
  - { key: on_battery, name: On battery, oid: 1.3.6.1.2.1.33.1.4.1.0, type: integer, trueValues: [5] }
  - { key: battery_charge, name: Battery charge, unit: "%", oid: 1.3.6.1.2.1.33.1.2.4.0 }
traps:
  - { name: upsTrapOnBattery, oid: ${ON_BATTERY}, set: { on_battery: true }, severity: major }
  - { name: apcOnBattery, oid: 1.3.6.1.4.1.318.0.5, set: { on_battery: true } }
  - { name: apcPowerRestored, oid: 1.3.6.1.4.1.318.0.9, set: { on_battery: false } }
  - { name: upsTrapTestCompleted, oid: 1.3.6.1.2.1.33.2.2 }
`;

interface TrapHealth {
  port: number;
  received: number;
  accepted: number;
  droppedUnknownSource: number;
  droppedAuth: number;
  droppedRate: number;
  droppedInvalid: number;
  lastFrom: string | null;
}

interface TrapEvent {
  deviceId: string;
  deviceName: string;
  trap: string;
  oid: string;
  version: string;
  kind: string;
  severity?: string;
  varbinds: Array<{ oid: string; type: string; value: unknown }>;
}

async function until<T>(check: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A UDP socket that records what `snmptrap` sends it: real encodings to replay or corrupt. */
async function captureSocket(sender: TrapSender) {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const target = `127.0.0.1:${socket.address().port}`;
  return {
    socket,
    target,
    async take(args: string[]): Promise<Buffer> {
      const got = new Promise<Buffer>((resolve) => socket.once('message', (msg) => resolve(msg)));
      const res = await sender.run(args);
      if (res.code !== 0) throw new Error(`snmptrap failed: ${res.stderr}`);
      return got;
    },
  };
}

describe.skipIf(!RUN)('SNMP trap receiver with snmptrap / snmpinform', () => {
  let dir: string;
  let started: StartedDrivers;
  let sender: TrapSender;
  let port: number;
  const events: Array<{ type: string; data: TrapEvent }> = [];
  const pushed: Sample[] = [];
  const logLines: string[] = [];
  const saved: Record<string, string | undefined> = {};

  const health = () => (started.health!() as { traps: TrapHealth }).traps;
  const target = () => `127.0.0.1:${port}`;
  const trapEvents = () => events.filter((e) => e.type === 'snmp.trap').map((e) => e.data);
  /** waits for the receiver to have counted `n` more datagrams than `before` */
  const counted = (before: TrapHealth, n = 1) => until(() => (health().received >= before.received + n ? true : undefined), `${n} datagram(s)`);

  beforeAll(async () => {
    for (const [k, v] of Object.entries(ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    dir = mkdtempSync(join(tmpdir(), 'gw-snmp-traps-'));
    mkdirSync(join(dir, 'profiles'));
    writeFileSync(join(dir, 'profiles', 'trap-test-ups.yaml'), PROFILE);
    const site = join(dir, 'site.yaml');
    writeFileSync(
      site,
      `gateway: { id: trap-it, dataDir: ./data }
snmpTraps:
  host: 127.0.0.1
  port: 0
  communities: ["\${SNMP_IT_TRAP_COMMUNITY}"]
  users:
    - { user: gw, authProtocol: sha256, authKey: "\${SNMP_IT_AUTH}", privProtocol: aes, privKey: "\${SNMP_IT_PRIV}" }
  maxPerSecond: 50
devices:
  - id: ups1
    name: UPS-1 Hall A
    kind: ups
    driver: snmp
    connection: { host: 127.0.0.1, port: 9, community: "\${SNMP_IT_POLL_COMMUNITY}" }
    profile: trap-test-ups
  - id: ups2
    name: UPS-2 behind a NAT
    kind: ups
    driver: snmp
    connection: { host: 127.0.0.1, port: 10, community: "\${SNMP_IT_POLL_COMMUNITY}", trapSource: 127.0.0.2 }
    profile: trap-test-ups
  - id: pdu1
    name: PDU at the UPS's address
    kind: pdu
    driver: snmp
    connection: { host: 127.0.0.1, port: 11, community: "\${SNMP_IT_POLL_COMMUNITY}" }
    points: [{ key: total_power, unit: kW, oid: 1.3.6.1.4.1.318.1.1.26.4.3.1.5.1 }]
`,
    );
    const config = loadSiteConfig(site);
    const devices = config.devices.filter((d): d is typeof d & SnmpDeviceConfig => d.driver === 'snmp');
    const logger = createLogger({ write: (line) => logLines.push(line), repeat: false });
    started = await snmpModule.start(devices, {
      site: config,
      gatewayId: config.gateway.id,
      dataDir: config.gateway.dataDir,
      configDir: dirname(site),
      logger,
      appendEvent: (type, data) => events.push({ type, data: data as unknown as TrapEvent }),
    });
    const ups1 = started.drivers[0]!;
    if (!isPushSource(ups1)) throw new Error('the SNMP driver is no PushSource');
    ups1.subscribe((samples) => pushed.push(...samples));
    port = health().port;
    sender = createTrapSender();
  });

  afterAll(async () => {
    for (const d of started?.drivers ?? []) await d.close();
    await started?.close?.();
    sender?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('listens on the port the OS chose', () => {
    expect(port).toBeGreaterThan(0);
    expect(health()).toMatchObject({ received: 0, accepted: 0 });
  });

  it('takes a v2c trap: one event with the rule name and varbinds, and the point pushed at once', async () => {
    const res = await sender.run(['-v', '2c', '-c', COMMUNITY, target(), '', ON_BATTERY, '1.3.6.1.2.1.33.1.2.3.0', 'i', '12', '1.3.6.1.2.1.1.5.0', 's', 'UPS-1 Hall A']);
    expect(res.code, res.stderr).toBe(0);
    const event = await until(() => trapEvents().find((e) => e.oid === ON_BATTERY && e.version === '2c'), 'the v2c trap event');
    expect(event).toMatchObject({ deviceId: 'ups1', deviceName: 'UPS-1 Hall A', trap: 'upsTrapOnBattery', kind: 'trap', severity: 'major' });
    expect(event.varbinds).toEqual([
      { oid: '1.3.6.1.2.1.33.1.2.3.0', type: 'integer', value: 12 },
      { oid: '1.3.6.1.2.1.1.5.0', type: 'string', value: 'UPS-1 Hall A' },
    ]);
    const sample = await until(() => pushed.find((s) => s.pointId === 'ups1.on_battery'), 'the pushed on_battery sample');
    expect(sample).toMatchObject({ value: true, quality: 'good' });
    expect(health()).toMatchObject({ accepted: 1, lastFrom: '127.0.0.1' });
    // the PDU shares the address but its profile knows no such trap: not filed under it
    expect(trapEvents().filter((e) => e.oid === ON_BATTERY && e.version === '2c').map((e) => e.deviceId)).toEqual(['ups1']);
  });

  it('files a trap no device at that address knows under each of them', async () => {
    const unknownOid = '1.3.6.1.4.1.99999.0.42';
    const res = await sender.run(['-v', '2c', '-c', COMMUNITY, target(), '', unknownOid]);
    expect(res.code, res.stderr).toBe(0);
    await until(() => (trapEvents().filter((e) => e.oid === unknownOid).length === 2 ? true : undefined), 'two events');
    expect(trapEvents().filter((e) => e.oid === unknownOid).map((e) => [e.deviceId, e.trap])).toEqual([
      ['ups1', unknownOid],
      ['pdu1', unknownOid],
    ]);
  });

  it('maps v1 traps per RFC 3584: enterprise.0.specific', async () => {
    pushed.length = 0;
    const restored = await sender.run(['-v', '1', '-c', COMMUNITY, target(), '1.3.6.1.4.1.318', '127.0.0.1', '6', '9', '']);
    expect(restored.code, restored.stderr).toBe(0);
    const event = await until(() => trapEvents().find((e) => e.version === '1' && e.oid === '1.3.6.1.4.1.318.0.9'), 'the v1 trap event');
    expect(event).toMatchObject({ deviceId: 'ups1', trap: 'apcPowerRestored' });
    expect(await until(() => pushed.find((s) => s.pointId === 'ups1.on_battery'), 'on_battery false')).toMatchObject({ value: false, quality: 'good' });
    pushed.length = 0;
    const onBattery = await sender.run(['-v', '1', '-c', COMMUNITY, target(), '1.3.6.1.4.1.318', '127.0.0.1', '6', '5', '', '1.3.6.1.4.1.318.1.1.1.2.2.1.0', 'i', '97']);
    expect(onBattery.code, onBattery.stderr).toBe(0);
    const second = await until(() => trapEvents().find((e) => e.version === '1' && e.oid === '1.3.6.1.4.1.318.0.5'), 'the second v1 trap');
    expect(second).toMatchObject({ trap: 'apcOnBattery', varbinds: [{ oid: '1.3.6.1.4.1.318.1.1.1.2.2.1.0', type: 'integer', value: 97 }] });
    expect(await until(() => pushed.find((s) => s.pointId === 'ups1.on_battery'), 'on_battery true')).toMatchObject({ value: true });
    // a generic v1 trap (coldStart) has no rule here: the event names the OID
    const cold = await sender.run(['-v', '1', '-c', COMMUNITY, target(), '1.3.6.1.4.1.318', '127.0.0.1', '0', '0', '']);
    expect(cold.code, cold.stderr).toBe(0);
    const coldEvent = await until(() => trapEvents().find((e) => e.oid === '1.3.6.1.6.3.1.1.5.1'), 'the coldStart event');
    expect(coldEvent).toMatchObject({ deviceId: 'ups1', trap: '1.3.6.1.6.3.1.1.5.1' });
  });

  it('takes a v3 authPriv trap (SHA-256/AES) and refuses one with a wrong key', async () => {
    const v3 = ['-v', '3', '-e', '0x80001f8880c0ffee0001', '-u', 'gw', '-l', 'authPriv', '-a', 'SHA-256', '-x', 'AES', '-X', PRIV_KEY];
    const ok = await sender.run([...v3, '-A', AUTH_KEY, target(), '', '1.3.6.1.2.1.33.2.2', '1.3.6.1.2.1.33.1.7.3.0', 'i', '1']);
    expect(ok.code, ok.stderr).toBe(0);
    const event = await until(() => trapEvents().find((e) => e.version === '3'), 'the v3 trap event');
    expect(event).toMatchObject({ deviceId: 'ups1', trap: 'upsTrapTestCompleted', oid: '1.3.6.1.2.1.33.2.2' });
    expect(event.varbinds).toEqual([{ oid: '1.3.6.1.2.1.33.1.7.3.0', type: 'integer', value: 1 }]);

    const before = health();
    const bad = await sender.run([...v3, '-A', 'not-the-auth-key', target(), '', ON_BATTERY]);
    expect(bad.code, bad.stderr).toBe(0);
    await counted(before);
    const unknownUser = await sender.run(['-v', '3', '-e', '0x80001f8880c0ffee0001', '-u', 'intruder', '-l', 'authNoPriv', '-a', 'SHA', '-A', AUTH_KEY, target(), '', ON_BATTERY]);
    expect(unknownUser.code, unknownUser.stderr).toBe(0);
    await counted(before, 2);
    expect(health().droppedAuth).toBe(before.droppedAuth + 2);
    expect(health().accepted).toBe(before.accepted);
  });

  it('acknowledges informs (v2c and v3): the sender gets its answer', async () => {
    const v2 = await sender.run(['-v', '2c', '-c', COMMUNITY, '-t', '2', '-r', '1', target(), '', '1.3.6.1.2.1.33.2.2'], 'snmpinform');
    expect(v2.code, v2.stderr).toBe(0);
    await until(() => trapEvents().find((e) => e.kind === 'inform' && e.version === '2c'), 'the v2c inform event');
    const v3 = await sender.run(
      ['-v', '3', '-u', 'gw', '-l', 'authPriv', '-a', 'SHA-256', '-A', AUTH_KEY, '-x', 'AES', '-X', PRIV_KEY, '-t', '2', '-r', '1', target(), '', ON_BATTERY],
      'snmpinform',
    );
    expect(v3.code, v3.stderr).toBe(0);
    await until(() => trapEvents().find((e) => e.kind === 'inform' && e.version === '3'), 'the v3 inform event');
    // the same inform with a wrong community gets no answer: the exit code above was the acknowledgement
    const refused = await sender.run(['-v', '2c', '-c', 'wrong', '-t', '1', '-r', '0', target(), '', ON_BATTERY], 'snmpinform');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/timeout/i);
  });

  it('drops a wrong community without an event and without logging the community', async () => {
    const before = health();
    const eventsBefore = events.length;
    const res = await sender.run(['-v', '2c', '-c', 'guessed-community', target(), '', ON_BATTERY]);
    expect(res.code, res.stderr).toBe(0);
    await counted(before);
    expect(health()).toMatchObject({ droppedAuth: before.droppedAuth + 1, accepted: before.accepted });
    expect(events.length).toBe(eventsBefore);
    const logs = logLines.join('\n');
    expect(logs).toMatch(/wrong community/);
    expect(logs).not.toContain('guessed-community');
    expect(logs).not.toContain(COMMUNITY);
  });

  it('maps a sender to its device by trapSource, and drops senders that are no device', async () => {
    const viaNat = await sender.run(['--clientaddr=127.0.0.2', '-v', '2c', '-c', COMMUNITY, target(), '', ON_BATTERY]);
    expect(viaNat.code, viaNat.stderr).toBe(0);
    const event = await until(() => trapEvents().find((e) => e.deviceId === 'ups2'), 'the ups2 event');
    expect(event).toMatchObject({ deviceName: 'UPS-2 behind a NAT', trap: 'upsTrapOnBattery' });

    const before = health();
    const eventsBefore = events.length;
    const stranger = await sender.run(['--clientaddr=127.0.0.3', '-v', '2c', '-c', COMMUNITY, target(), '', ON_BATTERY]);
    expect(stranger.code, stranger.stderr).toBe(0);
    await counted(before);
    expect(health()).toMatchObject({ droppedUnknownSource: before.droppedUnknownSource + 1, accepted: before.accepted, lastFrom: '127.0.0.3' });
    expect(events.length).toBe(eventsBefore);
    // a stranger's inform is not acknowledged either
    const inform = await sender.run(['--clientaddr=127.0.0.3', '-v', '2c', '-c', COMMUNITY, '-t', '1', '-r', '0', target(), '', ON_BATTERY], 'snmpinform');
    expect(inform.code).not.toBe(0);
    expect(health().droppedUnknownSource).toBe(before.droppedUnknownSource + 2);
    expect(events.length).toBe(eventsBefore);
  });

  it('survives junk datagrams and keeps taking traps', async () => {
    const before = health();
    const junk = [
      Buffer.alloc(0),
      Buffer.from([0x30]),
      Buffer.from([0x30, 0x82, 0xff, 0xff, 0x02, 0x01]),
      Buffer.from('not snmp at all'),
      // a v2c GetRequest: a request, not a notification
      Buffer.from('302602010104067075626c6963a019020101020100020100300e300c06082b060102010105000500', 'hex'),
      Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37) & 0xff)),
    ];
    const socket = createSocket('udp4');
    for (const buf of junk) await new Promise<void>((resolve, reject) => socket.send(buf, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    socket.close();
    await counted(before, junk.length - 1);
    expect(health().accepted).toBe(before.accepted);
    const res = await sender.run(['-v', '2c', '-c', COMMUNITY, target(), '', '1.3.6.1.2.1.33.2.2', '1.3.6.1.2.1.1.5.0', 's', 'after-junk']);
    expect(res.code, res.stderr).toBe(0);
    await until(() => trapEvents().find((e) => e.varbinds.some((v) => v.value === 'after-junk')), 'a trap after the junk');
    expect(health().droppedInvalid).toBeGreaterThanOrEqual(junk.length - 1);
  });

  it('survives 3,000 corrupted copies of real v1, v2c and v3 traps', async () => {
    const capture = await captureSocket(sender);
    const packets = [
      await capture.take(['-v', '2c', '-c', COMMUNITY, capture.target, '', ON_BATTERY, '1.3.6.1.2.1.1.5.0', 's', 'fuzz']),
      await capture.take(['-v', '1', '-c', COMMUNITY, capture.target, '1.3.6.1.4.1.318', '127.0.0.1', '6', '5', '', '1.3.6.1.2.1.1.5.0', 's', 'fuzz']),
      await capture.take(['-v', '3', '-e', '0x80001f8880c0ffee0001', '-u', 'gw', '-l', 'authPriv', '-a', 'SHA-256', '-A', AUTH_KEY, '-x', 'AES', '-X', PRIV_KEY, capture.target, '', ON_BATTERY]),
    ];
    // a fixed seed: a failure replays exactly
    let seed = 0x5eed;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const before = health();
    for (let i = 0; i < 3000; i++) {
      const packet = Buffer.from(packets[i % packets.length]!);
      const flips = 1 + random(4);
      for (let f = 0; f < flips; f++) packet[random(packet.length)] = random(256);
      // now and then a cut: lengths that promise more than the datagram holds
      capture.socket.send(i % 7 === 0 ? packet.subarray(0, random(packet.length)) : packet, port, '127.0.0.1');
      if (i % 20 === 19) await new Promise((r) => setImmediate(r));
    }
    await until(() => (health().received - before.received >= 2000 ? true : undefined), 'the corrupted datagrams');
    capture.socket.close();
    // still alive and still taking traps (after the rate budget refilled)
    await new Promise((r) => setTimeout(r, 1100));
    const res = await sender.run(['-v', '2c', '-c', COMMUNITY, target(), '', '1.3.6.1.2.1.33.2.2', '1.3.6.1.2.1.1.5.0', 's', 'after-fuzz']);
    expect(res.code, res.stderr).toBe(0);
    await until(() => trapEvents().find((e) => e.varbinds.some((v) => v.value === 'after-fuzz')), 'a trap after the fuzzing');
    const after = health();
    expect(after.droppedInvalid + after.droppedAuth).toBeGreaterThan(before.droppedInvalid + before.droppedAuth);
  }, 30_000);

  it('drops a flood over maxPerSecond and still answers', async () => {
    // one real v2c trap as snmptrap encodes it, captured, then sent 2,000 times as fast as possible
    const capture = await captureSocket(sender);
    const packet = await capture.take(['-v', '2c', '-c', COMMUNITY, capture.target, '', '1.3.6.1.2.1.33.2.2']);
    const captureSend = capture.socket;
    // the burst budget is one second's worth; start from a full bucket
    await new Promise((r) => setTimeout(r, 1100));
    const before = health();
    const eventsBefore = trapEvents().length;
    const started = Date.now();
    for (let i = 0; i < 2000; i++) {
      captureSend.send(packet, port, '127.0.0.1');
      // sender and receiver share this event loop: let the receiver read (libuv takes 32 datagrams
      // a turn) rather than measure the kernel's socket buffer
      if (i % 20 === 19) await new Promise((r) => setImmediate(r));
    }
    await until(() => (health().received - before.received >= 1000 ? true : undefined), 'the flood to arrive');
    await new Promise((r) => setTimeout(r, 300));
    captureSend.close();
    const after = health();
    const seconds = (Date.now() - started) / 1000;
    const took = after.accepted - before.accepted;
    expect(after.droppedRate - before.droppedRate).toBeGreaterThan(500);
    // the bucket holds 50 and refills at 50/s
    expect(took).toBeLessThanOrEqual(50 + Math.ceil(50 * seconds) + 1);
    expect(took).toBeGreaterThanOrEqual(50);
    expect(trapEvents().length - eventsBefore).toBe(took);
    expect(after.received - before.received).toBe(took + (after.droppedRate - before.droppedRate));
    // still answering: an inform after the flood is acknowledged
    await new Promise((r) => setTimeout(r, 1100));
    const inform = await sender.run(['-v', '2c', '-c', COMMUNITY, '-t', '2', '-r', '1', target(), '', ON_BATTERY], 'snmpinform');
    expect(inform.code, inform.stderr).toBe(0);
    expect(logLines.join('\n')).toMatch(/over snmpTraps.maxPerSecond/);
  }, 30_000);

  it('shows no secret in health', () => {
    const text = JSON.stringify(started.health!());
    for (const secret of [COMMUNITY, AUTH_KEY, PRIV_KEY]) expect(text).not.toContain(secret);
    expect(Object.keys(health()).sort()).toEqual(['accepted', 'droppedAuth', 'droppedInvalid', 'droppedRate', 'droppedUnknownSource', 'lastFrom', 'port', 'received']);
  });
});

describe('SNMP trap receiver start and stop', () => {
  const section = (port: number): SnmpTrapsSection => ({ enabled: true, host: '127.0.0.1', port, communities: [new Secret('x')], users: [], maxPerSecond: 10 });
  const options = (port: number) => ({ section: section(port), devices: [], drivers: [], appendEvent: () => {}, logger: silentLogger });

  it('fails to start with a clear message when the port is taken, and frees its port on close', async () => {
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
    const taken = holder.address().port;
    await expect(startTrapReceiver(options(taken))).rejects.toThrow(new RegExp(`snmpTraps: cannot listen on 127.0.0.1:${taken}: .*EADDRINUSE`));
    holder.close();
    await new Promise((r) => setTimeout(r, 50));
    const first = await startTrapReceiver(options(taken));
    expect((first.health() as { port: number }).port).toBe(taken);
    await first.close();
    // the same port again: the first receiver let it go
    const second = await startTrapReceiver(options(taken));
    await second.close();
  });
});
