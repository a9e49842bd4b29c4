/**
 * The narrow face of modbus-serial: open one physical link, read bits or registers from any unit
 * on it, close. Nothing outside this file and the two it opens with (link-client.ts: requests on
 * an open link; raw-modbus.ts: modbus-serial's calls, typed) sees modbus-serial, so tests can put
 * a real peer or a fake behind the same interface.
 *
 * Framing per transport (the PDU, the codec and the planner are shared):
 * - tcp: MBAP header, transaction ids (connectTCP);
 * - rtu: unit + PDU + CRC on a serial port (connectRTUBuffered);
 * - rtu-over-tcp: the same RTU frames, CRC included, over a TCP socket, as serial device servers
 *   in "transparent"/"raw" mode speak it. modbus-serial calls this port "telnet" (connectTelnet);
 *   its connectTcpRTUBuffered sends MBAP headers, which such servers do not understand.
 */
import ModbusRTU from 'modbus-serial';
import type { ModbusClient } from './client-types.js';
import type { ModbusConnection } from './device.js';
import type { Logger } from '../../core/logger.js';
import { createLinkClient } from './link-client.js';
import { type RawModbus, shutdown } from './raw-modbus.js';
import { ModbusRequestError } from './request-error.js';

export { type ModbusFault, ModbusRequestError } from './request-error.js';

export type { BitTable, ModbusClient, ModbusFraming, RegisterTable } from './client-types.js';

export interface OpenClientOptions {
  /** how long opening may take */
  timeoutMs: number;
  signal?: AbortSignal;
  logger?: Logger;
}

export type OpenModbusClient = (link: ModbusConnection, options: OpenClientOptions) => Promise<ModbusClient>;

export const openModbusClient: OpenModbusClient = async (link, options) => {
  // A CommonJS package whose typings declare a default export: under NodeNext that is `.default`,
  // which modbus-serial sets to itself at run time.
  const raw = new ModbusRTU.default() as unknown as RawModbus;
  // modbus-serial re-emits serial port errors on itself; without a listener they would crash.
  raw.on('error', (err: unknown) => options.logger?.debug('modbus link error', { error: describe(err) }));
  const opening = connect(raw, link);
  opening.catch(() => undefined);
  try {
    await withDeadline(opening, options.timeoutMs, options.signal, `opening ${describeLink(link)}`);
  } catch (err) {
    await shutdown(raw, link.transport);
    if (options.signal?.aborted && err === options.signal.reason) throw err;
    if (err instanceof ModbusRequestError) throw err;
    throw new ModbusRequestError(`cannot open ${describeLink(link)}: ${describe(err)}`, 'comm', undefined, { cause: err });
  }
  return createLinkClient(raw, link.transport, options.logger);
};

function connect(raw: RawModbus, link: ModbusConnection): Promise<void> {
  switch (link.transport) {
    case 'tcp':
      return raw.connectTCP(link.host, { port: link.port });
    case 'rtu-over-tcp':
      return raw.connectTelnet(link.host, { port: link.port });
    case 'rtu':
      return raw.connectRTUBuffered(link.serialPort, {
        baudRate: link.baudRate,
        parity: link.parity,
        dataBits: link.dataBits,
        stopBits: link.stopBits,
      });
  }
}

export function describeLink(link: ModbusConnection): string {
  return link.transport === 'rtu' ? `serial port ${link.serialPort}` : `${link.transport} ${link.host}:${link.port}`;
}

function withDeadline<T>(work: Promise<T>, ms: number, signal: AbortSignal | undefined, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(() => {
      cleanup();
      reject(new ModbusRequestError(`${what} took longer than ${ms} ms`, 'timeout'));
    }, ms);
    const onAbort = () => {
      cleanup();
      reject(signal?.reason);
    };
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (err) => {
        cleanup();
        reject(err);
      },
    );
  });
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
