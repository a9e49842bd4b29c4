/**
 * A ModbusClient over one open modbus-serial link: requests go one at a time, each with its
 * timeout, its abort signal and, on RTU, the line guard; modbus-serial's errors become faults
 * (request-error.ts). Opening the link is client.ts's job.
 */
import type { Logger } from '../../core/logger.js';
import type { ModbusClient, ModbusFraming } from './client-types.js';
import { createNoiseWatch } from './noise-watch.js';
import { type FunctionCode, type RawCallback, type RawModbus, type RawResult, sendRaw, shutdown, type WritePayload } from './raw-modbus.js';
import { checkResult, classify, ModbusRequestError } from './request-error.js';
import { createRtuLineGuard } from './rtu-line-guard.js';

/** Beyond modbus-serial's own timer, in case a request never reaches the port's write. */
const BACKSTOP_MS = 1000;
const KEEPALIVE_MS = 10_000;

/** What a request resolves with: the values read (bits cut to the count asked), nothing for a write. */
type ReplyData = RawResult['data'] | undefined;

export function createLinkClient(raw: RawModbus, framing: ModbusFraming, logger?: Logger): ModbusClient {
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
  ): Promise<ReplyData> => {
    // Neither is an async function: one returning the reply's promise cost a promise and two
    // more microtask turns per request.
    const run = (): Promise<ReplyData> => {
      if (signal.aborted) return Promise.reject(signal.reason);
      if (closed || !raw.isOpen) {
        return Promise.reject(new ModbusRequestError('the link is closed', 'comm', undefined, { cause: closeCause }));
      }
      return rtu ? rtu.beforeRequest(signal).then(send) : send();
    };
    function send(): Promise<ReplyData> {
      return new Promise<ReplyData>((resolve, reject) => {
        let done = false;
        // The key modbus-serial files this request under: the TCP transaction id about to be sent;
        // RTU ports have none, and modbus-serial's `_transactions[undefined]` is "undefined".
        const transactionKey: number | string = raw._port?._transactionIdWrite ?? 'undefined';
        noise.mark();
        /** a timeout, unless bytes came meanwhile and none of them made a frame for us */
        const silence = (timeout: ModbusRequestError): ModbusRequestError => {
          const bytes = noise.garbageBytes();
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
          finish(() => (failure ? reject(failure) : resolve(replyData(fc, count, res as RawResult))));
        };
        try {
          sendRaw(raw, fc, unitId, address, count, payload, callback);
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
      return request(table === 'coil' ? 1 : 2, unitId, address, count, timeoutMs, signal) as Promise<boolean[]>;
    },
    // No async wrapper around request(), nor a .then() taking the values out of the reply: one
    // promise and one microtask fewer per read each.
    readRegisters(unitId, table, address, count, timeoutMs, signal) {
      return request(table === 'holding' ? 3 : 4, unitId, address, count, timeoutMs, signal) as Promise<number[]>;
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

/** Reads resolve with their values (modbus-serial pads bits to whole bytes), writes with nothing. */
function replyData(fc: FunctionCode, count: number, res: RawResult): ReplyData {
  if (fc <= 2) return res.data.slice(0, count);
  return fc <= 4 ? res.data : undefined;
}
