/** Starts test/peers/pymodbus_server.py: an independent Modbus server with known values. */
import { spawn } from 'node:child_process';
import type { ModbusType, WordOrder } from '../../drivers/modbus/point.js';
import { stopChild, waitForLine } from './modbus-peer-process.js';
import { PYMODBUS_PEER_SCRIPT as SCRIPT, SYSTEM_PYTHON } from './peers.js';

/** A typed value the server packs with Python's struct module, or raw register words. */
export type RegisterEntry =
  | { address: number; type: Exclude<ModbusType, 'bool' | 'string'>; order?: WordOrder; value: number }
  | { address: number; type: 'string'; length: number; order?: WordOrder; value: string }
  | { address: number; raw: number[] };

export interface BitEntry {
  address: number;
  bits: boolean[];
}

export interface PymodbusUnit {
  holding?: RegisterEntry[];
  input?: RegisterEntry[];
  coils?: BitEntry[];
  discrete?: BitEntry[];
}

export type PymodbusListen =
  | { transport: 'tcp' | 'rtu-over-tcp'; host?: string; port?: number }
  | {
      transport: 'rtu';
      serialPort: string;
      baudRate?: number;
      parity?: 'N' | 'E' | 'O';
      dataBits?: 7 | 8;
      stopBits?: 1 | 2;
    };

export interface PymodbusPeer {
  /** the TCP port it listens on (null for RTU) */
  port: number | null;
  stop(): Promise<void>;
}

export async function startPymodbus(listen: PymodbusListen, units: Record<number, PymodbusUnit>): Promise<PymodbusPeer> {
  const spec = { host: '127.0.0.1', ...listen, units };
  const child = spawn(SYSTEM_PYTHON, [SCRIPT, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.on('data', () => undefined);
  const ready = await waitForLine(
    child,
    child.stdout,
    (line) => {
      if (!line.startsWith('{')) return undefined;
      const msg = JSON.parse(line) as { ready?: boolean; port?: number | null };
      return msg.ready ? msg : undefined;
    },
    15_000,
    'pymodbus',
  ).catch(async (err) => {
    await stopChild(child);
    throw err;
  });
  child.stdout.resume();
  return { port: ready.port ?? null, stop: () => stopChild(child) };
}
