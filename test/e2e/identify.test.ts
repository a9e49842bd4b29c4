/**
 * `gateway identify --snmp`: against snmpsimd serving recorded agents (an independent peer) and
 * against the gateway's own simulator. The printed block is a working device config (the real
 * loader accepts it), fills table rows and names from the agent, and never shows the community.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadSiteConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import type { SnmpDeviceConfig } from '../../drivers/snmp/device.js';
import { type SnmpSimulator, startSnmpSimulator } from '../../drivers/snmp/simulator/index.js';
import { REPO_ROOT, spawnCli } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { peersAvailable } from '../helpers/peers.js';
import { type SnmpsimPeer, startSnmpsim } from '../helpers/snmpsim.js';

const COMMUNITY = 'identify-test-c0mmunity';

function recording(name: string): string[] {
  return readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'snmprec', `${name}.snmprec`), 'utf8').trim().split('\n');
}

/** `gateway ARGS` in a child, without blocking this process (the simulator answers from here). */
async function identify(args: string[], env: NodeJS.ProcessEnv = { SNMP_COMMUNITY: COMMUNITY }) {
  const child = spawnCli(['identify', ...args], env);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const output = child.output();
  return { code, output };
}

/** The printed device block loaded by the real loader, as a one-device site. */
function loadBlock(dir: string, output: string): SnmpDeviceConfig {
  const file = join(dir, `site-${Math.random().toString(36).slice(2)}.yaml`);
  const block = output
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
  writeFileSync(file, `gateway: { id: identify-test, dataDir: ./data }\ndevices:\n${block.replace(/^/gm, '  ')}\n`);
  process.env.SNMP_COMMUNITY = COMMUNITY;
  return loadSiteConfig(file).devices[0] as SnmpDeviceConfig;
}

describe.runIf(peersAvailable('snmpsim'))('gateway identify --snmp (snmpsimd)', () => {
  let dir: string;
  let peer: SnmpsimPeer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-identify-'));
    const unknown = ['1.3.6.1.2.1.1.1.0|4|Some box', '1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.32473.99.1', '1.3.6.1.2.1.1.5.0|4|mystery'];
    peer = await startSnmpsim({ [COMMUNITY]: recording('apc-rpdu2'), ups: recording('ups-mib'), unknown });
  }, 30_000);

  afterAll(async () => {
    await peer?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an APC rack PDU: profile by sysObjectID, outlet rows and names read, community never shown', async () => {
    const { code, output } = await identify(['--snmp', `127.0.0.1:${peer.port}`, '--version', '2c']);
    expect(code, output).toBe(0);
    expect(output).toContain('# sysObjectID: 1.3.6.1.4.1.318.1.3.4.9');
    expect(output).toContain('apc-rpdu2 (1.3.6.1.4.1.318.1.3.4)');
    expect(output).toContain(`community: "$\{SNMP_COMMUNITY}"`);
    expect(output).not.toContain(COMMUNITY);
    const device = loadBlock(dir, output);
    expect(device).toMatchObject({ id: 'pdu-a12', kind: 'pdu', profile: 'apc-rpdu2' });
    expect(device.connection.port).toBe(peer.port);
    const names = recording('apc-rpdu2').filter((l) => l.startsWith('1.3.6.1.4.1.318.1.1.26.9.4.3.1.3.'));
    expect(device.tables.outlet?.rows).toHaveLength(names.length);
    expect(device.tables.outlet?.labels['1']).toBe('web-01');
    expect(device.points.find((p) => p.key === 'outlet_2_current')?.name).toBe('db-01 current');
  }, 30_000);

  it('a UPS-MIB agent of an unknown vendor: ups-mib, because upsIdentManufacturer answers', async () => {
    const { code, output } = await identify(['--snmp', `127.0.0.1:${peer.port}`, '--community', 'ups'], {});
    expect(code, output).toBe(0);
    expect(output).toContain('ups-mib (standard MIB)');
    expect(output).not.toContain('community: ups');
    expect(loadBlock(dir, output)).toMatchObject({ id: 'ups-hall-a', kind: 'ups', profile: 'ups-mib' });
  }, 30_000);

  it('no profile fits: says so with the sysObjectID and points to `gateway profiles list`', async () => {
    const { code, output } = await identify(['--snmp', `127.0.0.1:${peer.port}`, '--community', 'unknown'], {});
    expect(code).toBe(1);
    expect(output).toContain('1.3.6.1.4.1.32473.99.1');
    expect(output).toContain('gateway profiles list');
  }, 30_000);

  it('a wrong community reads as no answer, with what to check', async () => {
    const { code, output } = await identify(['--snmp', `127.0.0.1:${peer.port}`, '--community', 'wrong', '--timeout-ms', '500'], {});
    expect(code).toBe(1);
    expect(output).toContain(`no answer from 127.0.0.1:${peer.port} in 500 ms: check address, port, community/user`);
    expect(output).not.toMatch(/\n\s+at /);
  }, 30_000);
});

describe.runIf(peersAvailable('snmptrap'))('gateway identify --snmp (the gateway simulator)', () => {
  let dir: string;
  let sim: SnmpSimulator;
  let port: number;
  let v3Port: number;
  const v3Keys = { SNMP_AUTH_KEY: 'identify-auth-key', SNMP_PRIV_KEY: 'identify-priv-key' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-identify-sim-'));
    port = await freePort();
    v3Port = await freePort();
    process.env.SNMP_COMMUNITY = COMMUNITY;
    Object.assign(process.env, v3Keys);
    const file = join(dir, 'site.yaml');
    writeFileSync(
      file,
      [
        'gateway: { id: identify-sim, dataDir: ./data }',
        'devices:',
        `  - { id: pdu-b1, name: PDU B1, driver: snmp, profile: apc-rpdu2, connection: { host: 127.0.0.1, port: ${port}, community: "\${SNMP_COMMUNITY}" }, tables: { outlet: { rows: 12, labels: { "2": nas-01 } } } }`,
        `  - { id: ups9, name: UPS 9, driver: snmp, profile: ups-mib, connection: { host: 127.0.0.1, port: ${v3Port}, version: 3, user: gw, authProtocol: sha256, authKey: "\${SNMP_AUTH_KEY}", privProtocol: aes, privKey: "\${SNMP_PRIV_KEY}" } }`,
        '',
      ].join('\n'),
    );
    const devices = loadSiteConfig(file).devices as SnmpDeviceConfig[];
    sim = await startSnmpSimulator(devices, { logger: silentLogger });
  });

  afterAll(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the profile it simulates and the outlets it has', async () => {
    const { code, output } = await identify(['--snmp', `127.0.0.1:${port}`]);
    expect(code, output).toBe(0);
    const printed = parse(output.split('\n').filter((l) => !l.startsWith('#')).join('\n')) as Array<Record<string, unknown>>;
    expect(printed[0]).toMatchObject({ id: 'pdu-b1', profile: 'apc-rpdu2', tables: { outlet: { rows: 12, labels: { '2': 'nas-01' } } } });
    expect(output).not.toContain(COMMUNITY);
  }, 30_000);

  it('SNMPv3 authPriv, keys from the environment: the block names the key variables only', async () => {
    const args = ['--snmp', `127.0.0.1:${v3Port}`, '--user', 'gw', '--auth-protocol', 'sha256', '--priv-protocol', 'aes'];
    const { code, output } = await identify(args, v3Keys);
    expect(code, output).toBe(0);
    expect(output).toContain(`authKey: "$\{SNMP_AUTH_KEY}"`);
    expect(output).not.toContain(v3Keys.SNMP_AUTH_KEY);
    expect(output).not.toContain(v3Keys.SNMP_PRIV_KEY);
    const device = loadBlock(dir, output);
    expect(device).toMatchObject({ id: 'ups9', profile: 'ups-mib', connection: { version: '3', v3: { user: 'gw', level: 'authPriv' } } });
    const wrong = await identify([...args, '--timeout-ms', '500'], { ...v3Keys, SNMP_AUTH_KEY: 'not-the-key' });
    expect(wrong.code).toBe(1);
  }, 30_000);
});
