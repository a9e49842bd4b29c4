/**
 * The narrow face of modbus-serial: open one physical link, read bits or registers from any unit
 * on it, close. Nothing outside this file sees modbus-serial, so tests can put a real peer or a
 * fake behind the same interface.
 *
 * Framing per transport (the PDU, the codec and the planner are shared):
 * - tcp: MBAP header, transaction ids (connectTCP);
 * - rtu: unit + PDU + CRC on a serial port (connectRTUBuffered);
 * - rtu-over-tcp: the same RTU frames, CRC included, over a TCP socket, as serial device servers
 *   in "transparent"/"raw" mode speak it. modbus-serial calls this port "telnet" (connectTelnet);
 *   its connectTcpRTUBuffered sends MBAP headers, which such servers do not understand.
 */
import ModbusRTU from 'modbus-serial';
import type { ModbusConnection } from './device.js';
import { GatewayError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { createNoiseWatch } from './noise-watch.js';
import { createRtuLineGuard } from './rtu-line-guard.js';

export type ModbusFraming = ModbusConnection['transport'];
export type BitTable = 'coil' | 'discrete';
export type RegisterTable = 'holding' | 'input';

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

export interface ModbusClient {
  readonly framing: ModbusFraming;
  readonly isOpen: boolean;
  /** requests in a row, on any unit, that got no answer at all (reset by any answer) */
  readonly timeoutsInARow: number;
  readBits(
    unitId: number,
    table: BitTable,
    address: number,
    count: number,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<boolean[]>;
  readRegisters(
    unitId: number,
    table: RegisterTable,
    address: number,
    count: number,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<number[]>;
  /** FC6 (one register) or FC16 (several); resolves when the device echoes the write. */
  writeRegisters(unitId: number, address: number, words: readonly number[], timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** FC5 */
  writeCoil(unitId: number, address: number, on: boolean, timeoutMs: number, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
  /** Called once when the link goes down on its own (peer closed, cable pulled). */
  onClose?(listener: (cause?: Error) => void): void;
}

export interface OpenClientOptions {
  /** how long opening may take */
  timeoutMs: number;
  signal?: AbortSignal;
  logger?: Logger;
}

export type OpenModbusClient = (link: ModbusConnection, options: OpenClientOptions) => Promise<ModbusClient>;

/** The parts of modbus-serial's ModbusRTU this file uses (its typings omit the callback API). */
interface RawResult {
  data: Array<number | boolean>;
  buffer: Buffer;
  /** write replies (FC5/6/16) echo the address, and FC16 the register count */
  address?: number;
  length?: number;
}
/** The function codes this client sends: reads 1–4, writes 5 (coil), 6 (register), 16 (registers). */
type FunctionCode = 1 | 2 | 3 | 4 | 5 | 6 | 16;
/** What a write carries: FC5 a state, FC6 one word, FC16 words. */
type WritePayload = boolean | number | readonly number[];
type RawCallback = (err: unknown, res?: RawResult) => void;
interface RawPort extends NodeJS.EventEmitter {
  _client?: NodeJS.EventEmitter & { setKeepAlive?(enable: boolean, delay: number): void };
  /** RTUBufferedPort and TelnetPort collect bytes here until a whole frame is in */
  _buffer?: Buffer;
  /** TcpPort collects bytes here until the length its MBAP header gives is in */
  _clientRcvData?: Buffer;
  /** TcpPort: the transaction id of the next request, and of the last frame parsed */
  _transactionIdWrite?: number;
  _transactionIdRead?: number;
}
interface RawModbus extends NodeJS.EventEmitter {
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

/** Beyond modbus-serial's own timer, in case a request never reaches the port's write. */
const BACKSTOP_MS = 1000;
const KEEPALIVE_MS = 10_000;

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
  return createClient(raw, link.transport, options.logger);
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

function createClient(raw: RawModbus, framing: ModbusFraming, logger?: Logger): ModbusClient {
  const stream = raw._port?._client;
  let closed = false;
  let closeCause: Error | undefined;
  let shutdownDone: Promise<void> | undefined;
  const closeListeners: ((cause?: Error) => void)[] = [];
  let failInFlight: ((err: ModbusRequestError) => void) | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  /** requests issued on this link whose promise has not settled yet */
  let queued = 0;
  const dequeue = () => {
    queued -= 1;
  };
  let timeoutsInARow = 0;
  // The backstop: one timer per link, restarted (refresh) by each request instead of a timer made
  // and cleared per request, which cost as much as parsing the reply. Requests run one at a time,
  // so when it fires, the request in flight (if any) is the one that restarted it and has had its
  // full time; with none in flight it does nothing and stays idle until the next request.
  let backstop: NodeJS.Timeout | undefined;
  let backstopMs = 0;
  let onBackstop: (() => void) | undefined;
  const startBackstop = (ms: number, expire: () => void) => {
    onBackstop = expire;
    if (backstop !== undefined && backstopMs === ms) {
      backstop.refresh();
      return;
    }
    if (backstop !== undefined) clearTimeout(backstop);
    backstopMs = ms;
    backstop = setTimeout(() => onBackstop?.(), ms);
  };
  // The abort listener: one per link, on the signal its requests come with, moved only when a
  // request brings another signal. A caller that reuses its signal adds and removes no listener
  // per request (each pair cost about as much as parsing a reply); one with a signal per poll pays
  // one pair per poll, as before.
  let watchedSignal: AbortSignal | undefined;
  let onAbortInFlight: (() => void) | undefined;
  const abortInFlight = () => onAbortInFlight?.();
  const watchAbort = (signal: AbortSignal, onAbort: () => void) => {
    onAbortInFlight = onAbort;
    if (watchedSignal === signal) return;
    watchedSignal?.removeEventListener('abort', abortInFlight);
    watchedSignal = signal;
    signal.addEventListener('abort', abortInFlight);
  };
  // A device answering noise is a bad frame, not a timeout (which it used to read as).
  const noise = createNoiseWatch(framing, { stream, port: raw._port, lastFrameId: () => raw._port?._transactionIdRead });

  const markClosed = (cause?: Error) => {
    if (closed) return;
    closed = true;
    closeCause = cause;
    failInFlight?.(new ModbusRequestError('the link closed during the request', 'comm', undefined, { cause }));
    clearTimeout(backstop);
    backstop = undefined;
    watchedSignal?.removeEventListener('abort', abortInFlight);
    watchedSignal = undefined;
    for (const listener of closeListeners.splice(0)) listener(cause);
  };
  raw.on('close', () => markClosed());
  stream?.on('close', () => markClosed());
  stream?.on('error', (err: Error) => {
    closeCause ??= err;
  });
  // RTU framing has no transaction ids: the guard keeps each reply matched to its request.
  const rtu =
    framing === 'tcp'
      ? undefined
      : createRtuLineGuard(
          {
            stream,
            pendingBytes: () => raw._port?._buffer?.length ?? 0,
            discardPending: () => {
              if (raw._port) raw._port._buffer = Buffer.alloc(0);
            },
          },
          logger,
        );
  if (framing !== 'rtu') stream?.setKeepAlive?.(true, KEEPALIVE_MS);

  const request = (
    fc: FunctionCode,
    unitId: number,
    address: number,
    count: number,
    timeoutMs: number,
    signal: AbortSignal,
    payload?: WritePayload,
  ): Promise<RawResult> => {
    // Neither is an async function: one returning the reply's promise cost a promise and two
    // more microtask turns per request.
    const run = (): Promise<RawResult> => {
      if (signal.aborted) return Promise.reject(signal.reason);
      if (closed || !raw.isOpen) {
        return Promise.reject(new ModbusRequestError('the link is closed', 'comm', undefined, { cause: closeCause }));
      }
      return rtu ? rtu.beforeRequest(signal).then(send) : send();
    };
    function send(): Promise<RawResult> {
      return new Promise<RawResult>((resolve, reject) => {
        let done = false;
        // The key modbus-serial files this request under: the TCP transaction id about to be sent;
        // RTU ports have none, and modbus-serial's `_transactions[undefined]` is "undefined".
        const transactionKey: number | string = raw._port?._transactionIdWrite ?? 'undefined';
        const mark = noise.mark();
        /** a timeout, unless bytes came meanwhile and none of them made a frame for us */
        const silence = (timeout: ModbusRequestError): ModbusRequestError => {
          const bytes = mark.garbageBytes();
          if (bytes === 0) return timeout;
          // On TCP the garbage may have left a bogus MBAP length that would swallow every later
          // reply: drop what the port holds so the next reply is read from its start.
          if (framing === 'tcp' && raw._port) raw._port._clientRcvData = Buffer.alloc(0);
          return new ModbusRequestError(
            `unit ${unitId}: ${bytes} bytes came back in ${timeoutMs} ms but no valid reply frame`,
            'bad-frame',
            undefined,
            { cause: timeout },
          );
        };
        const finish = (settleWith: () => void) => {
          if (done) return;
          done = true;
          onBackstop = undefined;
          stopWatch?.();
          onAbortInFlight = undefined;
          failInFlight = undefined;
          // modbus-serial never forgets a finished transaction, and each one keeps this request's
          // closure alive: 256 per TCP link, megabytes on a large site. Only one request is ever
          // in flight here, so ours is dropped; a late reply then finds nothing and is ignored.
          // (Not a fresh `{}` per request: modbus-serial then grew a new element store up to the
          // transaction id, ~2 kB a request.)
          if (raw._transactions) delete raw._transactions[transactionKey];
          settleWith();
        };
        const stopWatch = rtu?.watchReply(() => {
          timeoutsInARow = 0; // something answered: the link is alive
          const err = new ModbusRequestError(`unit ${unitId}: the reply broke off or did not match`, 'bad-frame');
          finish(() => reject(err));
        });
        const onAbort = () => {
          rtu?.replyLost(timeoutMs);
          finish(() => reject(signal.reason));
        };
        startBackstop(timeoutMs + BACKSTOP_MS, () => {
          const failure = silence(new ModbusRequestError(`no answer from unit ${unitId} in ${timeoutMs} ms`, 'timeout'));
          timeoutsInARow = failure.fault === 'timeout' ? timeoutsInARow + 1 : 0;
          rtu?.replyLost(timeoutMs);
          finish(() => reject(failure));
        });
        watchAbort(signal, onAbort);
        failInFlight = (err) => finish(() => reject(err));

        raw.setTimeout(timeoutMs);
        if (framing === 'tcp' && raw._port?._transactionIdWrite !== undefined) noise.sent(raw._port._transactionIdWrite);
        const callback: RawCallback = (err, res) => {
          if (done) return; // a duplicate or late frame for a request already settled
          const classified = err === null || err === undefined ? checkResult(fc, address, count, res) : classify(err, unitId, timeoutMs);
          const failure = classified?.fault === 'timeout' ? silence(classified) : classified;
          if (failure?.fault === 'timeout') timeoutsInARow += 1;
          else timeoutsInARow = 0;
          // Garbage that never made a frame may still be arriving: wait as for a lost reply.
          if (classified?.fault === 'timeout') rtu?.replyLost(timeoutMs);
          else if (failure?.fault === 'bad-frame') rtu?.replyBroken();
          finish(() => (failure ? reject(failure) : resolve(res as RawResult)));
        };
        try {
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
        } catch (err) {
          callback(err);
        }
      });
    }
    // One request at a time per link: RTU has no way to tell two answers apart, and most TCP
    // gateways in front of a bus serialise anyway. On an idle link the request starts at once
    // rather than a queue hop later (the usual case: one device polling its own connection).
    const result = queued === 0 ? run() : tail.then(run, run);
    queued += 1;
    tail = result.then(dequeue, dequeue);
    return result;
  };

  return {
    framing,
    get isOpen() {
      return !closed && raw.isOpen;
    },
    get timeoutsInARow() {
      return timeoutsInARow;
    },
    readBits(unitId, table, address, count, timeoutMs, signal) {
      return request(table === 'coil' ? 1 : 2, unitId, address, count, timeoutMs, signal).then((res) => (res.data as boolean[]).slice(0, count));
    },
    // No async wrapper around request(): one promise and one microtask fewer per read.
    readRegisters(unitId, table, address, count, timeoutMs, signal) {
      return request(table === 'holding' ? 3 : 4, unitId, address, count, timeoutMs, signal).then(registersOf);
    },
    async writeRegisters(unitId, address, words, timeoutMs, signal) {
      if (words.length === 1) await request(6, unitId, address, 1, timeoutMs, signal, words[0]!);
      else await request(16, unitId, address, words.length, timeoutMs, signal, words);
    },
    async writeCoil(unitId, address, on, timeoutMs, signal) {
      await request(5, unitId, address, 1, timeoutMs, signal, on);
    },
    close() {
      markClosed();
      shutdownDone ??= shutdown(raw, framing);
      return shutdownDone;
    },
    onClose(listener) {
      if (closed) listener(closeCause);
      else closeListeners.push(listener);
    },
  };
}

const registersOf = (res: RawResult) => res.data as number[];

/** modbus-serial checks CRC, length, unit and function; the byte count inside is left to us. */
function checkResult(fc: FunctionCode, address: number, count: number, res: RawResult | undefined): ModbusRequestError | undefined {
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

function classify(err: unknown, unitId: number, timeoutMs: number): ModbusRequestError {
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

async function shutdown(raw: RawModbus, framing: ModbusFraming): Promise<void> {
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
