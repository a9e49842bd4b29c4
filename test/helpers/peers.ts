/**
 * Integration tests talk to real peers (pymodbus, socat, mosquitto, chromium, snmpsim, snmpd) installed from
 * Debian. In CI (CI=true) a missing peer is a failure; on a laptop the test is skipped with a
 * clear message.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface PeerCheck {
  name: string;
  available: boolean;
  why?: string;
}

function commandExists(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The Debian python, not a pyenv or venv one: pymodbus comes from python3-pymodbus. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** The pymodbus peer script; `--check` runs exactly its imports, so a partial install reads as missing. */
export const PYMODBUS_PEER_SCRIPT = fileURLToPath(new URL('../peers/pymodbus_server.py', import.meta.url));

function succeeds(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

const checks: Record<string, () => PeerCheck> = {
  socat: () => ({ name: 'socat', available: commandExists('socat'), why: 'apt-get install socat' }),
  mosquitto: () => ({
    name: 'mosquitto',
    available: existsSync('/usr/sbin/mosquitto') || commandExists('mosquitto'),
    why: 'apt-get install mosquitto mosquitto-clients',
  }),
  chromium: () => ({ name: 'chromium', available: existsSync('/usr/bin/chromium'), why: 'apt-get install chromium' }),
  pymodbus: () => ({
    name: 'pymodbus',
    // pymodbus.server imports serial_asyncio, which python3-pymodbus only recommends.
    available: succeeds(SYSTEM_PYTHON, [PYMODBUS_PEER_SCRIPT, '--check']),
    why: 'apt-get install python3-pymodbus python3-serial-asyncio',
  }),
  // snmpsimd (Debian snmpsim) imports these at start: pysnmp's engine and UDP carrier
  // (python3-pysnmp4, which pulls pycryptodome and pysmi) and pyasn1's BER codec
  snmpsim: () => ({
    name: 'snmpsim',
    available:
      commandExists('snmpsimd') &&
      succeeds(SYSTEM_PYTHON, [
        '-c',
        'import snmpsim; from pyasn1.codec.ber import encoder, decoder; from pysnmp.entity import engine, config; from pysnmp.entity.rfc3413 import cmdrsp, context; from pysnmp.carrier.asynsock.dgram import udp',
      ]),
    why: 'apt-get install snmpsim python3-pysnmp4 python3-pyasn1',
  }),
  snmpd: () => ({ name: 'snmpd', available: existsSync('/usr/sbin/snmpd'), why: 'apt-get install snmpd' }),
  // snmptrap sends test traps; snmpget cross-checks the driver's values
  snmptrap: () => ({
    name: 'snmptrap',
    available: commandExists('snmptrap') && commandExists('snmpget'),
    why: 'apt-get install snmp',
  }),
  // mbpoll reads a Modbus server independently of the gateway (control writes read back)
  mbpoll: () => ({ name: 'mbpoll', available: commandExists('mbpoll'), why: 'apt-get install mbpoll' }),
  // time-series engines for the prometheus/influx sync targets (each one Go binary)
  prometheus: () => ({ name: 'prometheus', available: existsSync('/usr/bin/prometheus') || commandExists('prometheus'), why: 'apt-get install prometheus' }),
  'victoria-metrics': () => ({
    name: 'victoria-metrics',
    available: existsSync('/usr/bin/victoria-metrics') || commandExists('victoria-metrics'),
    why: 'apt-get install victoria-metrics',
  }),
  influxdb: () => ({ name: 'influxdb', available: existsSync('/usr/bin/influxd') || commandExists('influxd'), why: 'apt-get install influxdb' }),
  // JetStream (a single server and a 3-node cluster) for the NATS sync target
  'nats-server': () => ({
    name: 'nats-server',
    available: existsSync('/usr/sbin/nats-server') || commandExists('nats-server'),
    why: 'apt-get install nats-server',
  }),
  faketime: () => ({
    name: 'faketime',
    available: succeeds('faketime', ['-f', '+0s', 'true']),
    why: 'apt-get install faketime',
  }),
};

/**
 * Returns true when every named peer is present. In CI it throws instead of returning false, so a
 * missing install step fails the run rather than silently skipping tests.
 */
export function peersAvailable(...names: (keyof typeof checks)[]): boolean {
  const missing = names.map((n) => checks[n]!()).filter((c) => !c.available);
  if (missing.length === 0) return true;
  const text = missing.map((m) => `${m.name} (${m.why})`).join(', ');
  if (process.env.CI === 'true') throw new Error(`CI is missing test peers: ${text}`);
  console.warn(`skipping integration tests: missing ${text}`);
  return false;
}
