/**
 * What went wrong with one Modbus request, in the terms the driver decides on, and how
 * modbus-serial's errors and replies map to it.
 */
import { GatewayError } from '../../core/errors.js';
import type { FunctionCode, RawResult } from './raw-modbus.js';

/** What went wrong with one request, in the terms the driver decides on. */
export type ModbusFault = 'timeout' | 'comm' | 'exception' | 'bad-frame';

export class ModbusRequestError extends GatewayError {
  override name = 'ModbusRequestError';
  constructor(
    message: string,
    readonly fault: ModbusFault,
    /** the exception code, for fault 'exception' */
    readonly exceptionCode?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** modbus-serial checks CRC, length, unit and function; the byte count inside is left to us. */
export function checkResult(fc: FunctionCode, address: number, count: number, res: RawResult | undefined): ModbusRequestError | undefined {
  if (fc >= 5) {
    // A write reply echoes what was written; another address means a reply to something else.
    if (res === undefined || res.address !== address || (fc === 16 && res.length !== count)) {
      return new ModbusRequestError(`the write reply does not echo address ${address}`, 'bad-frame');
    }
    return undefined;
  }
  if (res === undefined || !Array.isArray(res.data)) return new ModbusRequestError('empty reply', 'bad-frame');
  const expectedBytes = fc <= 2 ? Math.ceil(count / 8) : count * 2;
  if (res.buffer.length !== expectedBytes) {
    return new ModbusRequestError(`reply carries ${res.buffer.length} bytes, expected ${expectedBytes}`, 'bad-frame');
  }
  return undefined;
}

/** modbus-serial's error for a request, as a fault. */
export function classify(err: unknown, unitId: number, timeoutMs: number): ModbusRequestError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: string;
    message?: string;
    errno?: string;
    modbusCode?: number;
  };
  const cause = err instanceof Error ? err : new Error(e.message ?? String(err));
  if (typeof e.modbusCode === 'number') {
    return new ModbusRequestError(`unit ${unitId}: ${e.message}`, 'exception', e.modbusCode, { cause });
  }
  if (e.name === 'TransactionTimedOutError' || e.errno === 'ETIMEDOUT') {
    return new ModbusRequestError(`no answer from unit ${unitId} in ${timeoutMs} ms`, 'timeout', undefined, { cause });
  }
  const message = e.message ?? String(err);
  if (err instanceof RangeError || /CRC error|Data length error|Unexpected data error/.test(message)) {
    return new ModbusRequestError(`unit ${unitId}: bad reply frame (${message})`, 'bad-frame', undefined, { cause });
  }
  return new ModbusRequestError(`unit ${unitId}: ${message}`, 'comm', undefined, { cause });
}
