/**
 * Debian's Net-SNMP snmpd as a real SNMP agent for tests: MIB-II from this machine (sysUpTime,
 * sysName, ifNumber, ...), a v2c community, and SNMPv3 authPriv users (SHA-256/AES and SHA/DES),
 * made with `createUser` lines in a generated config whose persistent folder is a temp folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import snmp from 'net-snmp';
import { freePort } from './free-port.js';
import { waitForSnmpAgent } from './snmpsim.js';

export const SNMPD = '/usr/sbin/snmpd';

export interface SnmpdUser {
  user: string;
  authProtocol: 'SHA' | 'SHA-256' | 'MD5';
  authKey: string;
  privProtocol: 'AES' | 'DES';
  privKey: string;
}

export const SNMPD_USERS = {
  sha256aes: { user: 'gw256', authProtocol: 'SHA-256', authKey: 'auth-pass-256', privProtocol: 'AES', privKey: 'priv-pass-256' },
  shades: { user: 'gwsha', authProtocol: 'SHA', authKey: 'auth-pass-sha', privProtocol: 'DES', privKey: 'priv-pass-des' },
} as const satisfies Record<string, SnmpdUser>;

/** With `writable`: a v3 user with write access (SETs), next to the read-only ones. */
export const SNMPD_RW_USER = {
  user: 'gwrw',
  authProtocol: 'SHA-256',
  authKey: 'auth-pass-rw',
  privProtocol: 'AES',
  privKey: 'priv-pass-rw',
} as const satisfies SnmpdUser;

export interface SnmpdPeer {
  port: number;
  community: string;
  /** with `writable`: a community allowed to SET (sysContact, sysLocation, snmpEnableAuthenTraps, ...) */
  rwCommunity?: string;
  sysName: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
  log(): string;
}

export async function startSnmpd(options: { community?: string; sysName?: string; writable?: boolean } = {}): Promise<SnmpdPeer> {
  const port = await freePort();
  const community = options.community ?? 'gw-test';
  const sysName = options.sysName ?? 'snmpd-test-agent';
  const dir = mkdtempSync(join(tmpdir(), 'snmpd-'));
  const persist = join(dir, 'persist');
  mkdirSync(persist);
  const conf = join(dir, 'snmpd.conf');
  const users = Object.values(SNMPD_USERS);
  const rwCommunity = options.writable ? `${community}-rw` : undefined;
  // sysContact and sysLocation stay writable because this file does not fix them (sysName is fixed)
  const writeAccess = rwCommunity
    ? [
        `rwcommunity ${rwCommunity} 127.0.0.1`,
        `createUser ${SNMPD_RW_USER.user} ${SNMPD_RW_USER.authProtocol} ${SNMPD_RW_USER.authKey} ${SNMPD_RW_USER.privProtocol} ${SNMPD_RW_USER.privKey}`,
        `rwuser ${SNMPD_RW_USER.user} priv`,
      ]
    : [];
  writeFileSync(
    conf,
    [
      `[snmp] persistentDir ${persist}`,
      `agentAddress udp:127.0.0.1:${port}`,
      `rocommunity ${community} 127.0.0.1`,
      ...users.map((u) => `createUser ${u.user} ${u.authProtocol} ${u.authKey} ${u.privProtocol} ${u.privKey}`),
      ...users.map((u) => `rouser ${u.user} priv`),
      ...writeAccess,
      `sysName ${sysName}`,
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let output = '';
  let exited = false;

  const start = async () => {
    if (child) return;
    exited = false;
    // -f foreground, -Lo log to stdout, -C only our config (it names the address)
    const proc = spawn(SNMPD, ['-f', '-Lo', '-C', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.once('exit', () => {
      exited = true;
      if (child === proc) child = undefined;
    });
    await waitForSnmpAgent(port, () => snmp.createSession('127.0.0.1', community, { port, timeout: 300, retries: 0, version: snmp.Version2c }), 15_000, () => exited).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${output}`);
      },
    );
  };
  const stop = async () => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    await new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  };
  await start();
  return {
    port,
    community,
    ...(rwCommunity ? { rwCommunity } : {}),
    sysName,
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => output,
  };
}
