/**
 * The parts of modbus-serial's ModbusRTU the client uses, typed (its typings omit the callback
 * API and the port internals), and the one call that sends a request by function code.
 */

export interface RawResult {
  data: Array<number | boolean>;
  buffer: Buffer;
  /** write replies (FC5/6/16) echo the address, and FC16 the register count */
  address?: number;
  length?: number;
}
/** The function codes the client sends: reads 1–4, writes 5 (coil), 6 (register), 16 (registers). */
export type FunctionCode = 1 | 2 | 3 | 4 | 5 | 6 | 16;
/** What a write carries: FC5 a state, FC6 one word, FC16 words. */
export type WritePayload = boolean | number | readonly number[];
export type RawCallback = (err: unknown, res?: RawResult) => void;
export interface RawPort extends NodeJS.EventEmitter {
  _client?: NodeJS.EventEmitter & { setKeepAlive?(enable: boolean, delay: number): void };
  /** RTUBufferedPort and TelnetPort collect bytes here until a whole frame is in */
  _buffer?: Buffer;
  /** TcpPort collects bytes here until the length its MBAP header gives is in */
  _clientRcvData?: Buffer;
  /** TcpPort: the transaction id of the next request, and of the last frame parsed */
  _transactionIdWrite?: number;
  _transactionIdRead?: number;
}
export interface RawModbus extends NodeJS.EventEmitter {
  _port?: RawPort;
  /** every request modbus-serial has sent, by transaction id (up to 256 per TCP link) */
  _transactions?: Record<string, unknown>;
  isOpen: boolean;
  setTimeout(ms: number): void;
  connectTCP(host: string, options: { port: number }): Promise<void>;
  connectTelnet(host: string, options: { port: number }): Promise<void>;
  connectRTUBuffered(path: string, options: Record<string, unknown>): Promise<void>;
  writeFC1(unit: number, address: number, count: number, next: RawCallback): void;
  writeFC2(unit: number, address: number, count: number, next: RawCallback): void;
  writeFC3(unit: number, address: number, count: number, next: RawCallback): void;
  writeFC4(unit: number, address: number, count: number, next: RawCallback): void;
  writeFC5(unit: number, address: number, state: boolean, next: RawCallback): void;
  writeFC6(unit: number, address: number, value: number, next: RawCallback): void;
  writeFC16(unit: number, address: number, values: number[], next: RawCallback): void;
  close(next: (err?: unknown) => void): void;
  destroy(next: () => void): void;
}

/** Sends one request; modbus-serial answers through `callback` (it may also throw at once). */
export function sendRaw(
  raw: RawModbus,
  fc: FunctionCode,
  unitId: number,
  address: number,
  count: number,
  payload: WritePayload | undefined,
  callback: RawCallback,
): void {
  // A call per code, not raw[`writeFC${fc}`]: that built and looked up a string per request.
  switch (fc) {
    case 1:
      raw.writeFC1(unitId, address, count, callback);
      break;
    case 2:
      raw.writeFC2(unitId, address, count, callback);
      break;
    case 3:
      raw.writeFC3(unitId, address, count, callback);
      break;
    case 4:
      raw.writeFC4(unitId, address, count, callback);
      break;
    case 5:
      raw.writeFC5(unitId, address, payload as boolean, callback);
      break;
    case 6:
      raw.writeFC6(unitId, address, payload as number, callback);
      break;
    case 16:
      raw.writeFC16(unitId, address, [...(payload as readonly number[])], callback);
      break;
  }
}

/** Closes the link, waiting at most a second. */
export async function shutdown(raw: RawModbus, framing: 'tcp' | 'rtu' | 'rtu-over-tcp'): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    try {
      // A TCP socket is destroyed rather than ended: a peer that never closes its side must not
      // hold us up. modbus-serial's destroy() does nothing for serial ports, so those are closed.
      if (framing === 'rtu') raw.close(done);
      else raw.destroy(done);
    } catch {
      done();
    }
  });
}
