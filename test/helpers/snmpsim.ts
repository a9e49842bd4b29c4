/**
 * Debian's snmpsimd as an independent SNMP v1/v2c agent for tests: it serves `.snmprec` files
 * (`OID|TAG|VALUE` lines, tags 2 Integer, 4 OctetString, 4x hex OctetString, 6 OID, 64 IpAddress,
 * 65 Counter32, 66 Gauge32, 67 TimeTicks, 70 Counter64), one file per community (the file name
 * without `.snmprec`). Started on a loopback UDP port; stoppable and restartable on the same port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import snmp, { type Session } from 'net-snmp';
import { freePort } from './free-port.js';

export interface SnmpsimPeer {
  port: number;
  /** SIGKILL: no answer from now on */
  stop(): Promise<void>;
  /** starts it again on the same port; resolves once it answers */
  start(): Promise<void>;
  /** stops it and removes its files */
  dispose(): Promise<void>;
  log(): string;
}

/** Resolves once an agent answers anything (a value or an error) on `port`. */
export async function waitForSnmpAgent(port: number, open: () => Session, timeoutMs = 15_000, exited: () => boolean = () => false): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const session = open();
    session.on('error', () => {});
    const answered = await new Promise<boolean>((resolve) => {
      session.get(['1.3.6.1.2.1.1.3.0'], (err: Error | null) => resolve(!err || !(err instanceof snmp.RequestTimedOutError)));
    });
    session.close();
    if (answered) return;
    if (exited()) throw new Error('the agent exited before answering');
    if (Date.now() > until) throw new Error(`no SNMP agent answered on 127.0.0.1:${port} within ${timeoutMs} ms`);
  }
}

/** `records`: community → snmprec lines (`OID|TAG|VALUE`). */
export async function startSnmpsim(records: Record<string, string[]>, options: { port?: number } = {}): Promise<SnmpsimPeer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'snmpsim-'));
  const data = join(dir, 'data');
  const cache = join(dir, 'cache');
  mkdirSync(data);
  mkdirSync(cache);
  for (const [community, lines] of Object.entries(records)) {
    // snmpsim needs lines in OID order to walk them
    const sorted = [...lines].sort((a, b) => compareOids(a.split('|')[0]!, b.split('|')[0]!));
    writeFileSync(join(data, `${community}.snmprec`), `${sorted.join('\n')}\n`);
  }
  // snmpsimd refuses to run as root: it then drops to nobody, who must read the data and write the cache
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    chmodSync(dir, 0o755);
    chmodSync(data, 0o755);
    chmodSync(cache, 0o777);
  }
  let child: ChildProcess | undefined;
  let output = '';
  let exited = false;

  const start = async () => {
    if (child) return;
    const args = [`--data-dir=${data}`, `--cache-dir=${cache}`, `--agent-udpv4-endpoint=127.0.0.1:${port}`, '--logging-method=stderr'];
    if (asRoot) args.push('--process-user=nobody', '--process-group=nogroup');
    exited = false;
    const proc = spawn('snmpsimd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
    const community = Object.keys(records)[0] ?? 'public';
    await waitForSnmpAgent(port, () => snmp.createSession('127.0.0.1', community, { port, timeout: 300, retries: 0, version: snmp.Version2c }), 30_000, () => exited).catch(
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
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => output,
  };
}

export function compareOids(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
