/**
 * A narrow promise wrapper over one net-snmp session (one UDP socket per device): GET of a list
 * of OIDs as one PDU, and a walk of one column (identify, table labels). Failures come out as
 * SnmpRequestError with a kind the driver acts on (tooBig halves its PDUs, timeout backs off,
 * noSuchName (v1) marks one point); the driver turns the rest into DriverErrors.
 */
import snmp from 'net-snmp';
import type { SnmpConnection } from './device.js';
import type { Varbind } from './codec.js';

export type SnmpFailure = 'timeout' | 'tooBig' | 'noSuchName' | 'auth' | 'failed' | 'aborted' | 'refused';

export class SnmpRequestError extends Error {
  override name = 'SnmpRequestError';
  constructor(
    message: string,
    readonly kind: SnmpFailure,
    /** for noSuchName (v1): the OID the agent named in its error-index */
    readonly oid?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An agent's error-status answer to a SET (kind `refused`); `status` is its RFC 3416 name, e.g. `notWritable`. */
export class SnmpSetRefused extends SnmpRequestError {
  override name = 'SnmpSetRefused';
  constructor(
    message: string,
    readonly status: string,
    oid?: string,
    options?: ErrorOptions,
  ) {
    super(message, 'refused', oid, options);
  }
}

/** error-status values by number (RFC 3416 section 3; 1..5 are SNMPv1's too) */
const ERROR_STATUS = [
  'noError',
  'tooBig',
  'noSuchName',
  'badValue',
  'readOnly',
  'genErr',
  'noAccess',
  'wrongType',
  'wrongLength',
  'wrongEncoding',
  'wrongValue',
  'noCreation',
  'inconsistentValue',
  'resourceUnavailable',
  'commitFailed',
  'undoFailed',
  'authorizationError',
  'notWritable',
  'inconsistentName',
] as const;

export interface SnmpClient {
  /** One GET PDU for these OIDs; varbinds in the same order. */
  get(oids: readonly string[], signal?: AbortSignal): Promise<Varbind[]>;
  /** One SET PDU; an error-status answer rejects with SnmpSetRefused. */
  set(varbinds: readonly Varbind[], signal?: AbortSignal): Promise<Varbind[]>;
  /** Every varbind under `oid` (GETBULK for v2c/v3, GETNEXT for v1), at most `limit` of them. */
  walk(oid: string, signal?: AbortSignal, limit?: number): Promise<Varbind[]>;
  close(): void;
}

const VERSION = { '1': snmp.Version1, '2c': snmp.Version2c, '3': snmp.Version3 } as const;

/** Opens a session (UDP: nothing is sent until the first request; v3 discovers the engine then). */
export function openSnmpClient(conn: SnmpConnection): SnmpClient {
  const options = {
    port: conn.port,
    // net-snmp retries on its own timer; the driver sees one failure after (retries + 1) × timeout
    retries: conn.retries,
    timeout: conn.timeoutMs,
    transport: conn.host.includes(':') ? ('udp6' as const) : ('udp4' as const),
    version: VERSION[conn.version],
  };
  const session = conn.v3
    ? snmp.createV3Session(conn.host, v3User(conn.v3), options)
    : snmp.createSession(conn.host, conn.community?.reveal() ?? '', options);
  let closed = false;
  // A socket error (e.g. ICMP unreachable surfaced by the OS) must not crash the process: the
  // request in flight times out and the sampler backs off.
  session.on('error', () => {});

  const request = <T>(signal: AbortSignal | undefined, start: (done: (err: Error | null, result?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => {
      if (closed) return reject(new SnmpRequestError('session closed', 'failed'));
      if (signal?.aborted) return reject(signal.reason ?? new SnmpRequestError('aborted', 'aborted'));
      let settled = false;
      const onAbort = () => finish(signal?.reason ?? new SnmpRequestError('aborted', 'aborted'));
      const finish = (err: unknown, result?: T) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(result as T);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        // the library's answer after an abort is dropped: the request id is not reused
        start((err, result) => finish(err ? classify(err) : null, result));
      } catch (err) {
        finish(classify(err));
      }
    });

  return {
    get(oids, signal) {
      return request<Varbind[]>(signal, (done) => session.get([...oids], (err, varbinds) => done(err, varbinds ?? [])));
    },
    set(varbinds, signal) {
      return request<Varbind[]>(signal, (done) =>
        session.set(
          varbinds.map((v) => ({ ...v })),
          (err, answer) => done(err ? setRefusal(err) : null, answer ?? []),
        ),
      );
    },
    walk(oid, signal, limit = 10_000) {
      return request<Varbind[]>(signal, (done) => {
        const found: Varbind[] = [];
        const feed = (varbinds: Varbind[]) => {
          for (const vb of varbinds) {
            if (snmp.isVarbindError(vb)) continue;
            found.push(vb);
          }
          // returning true stops the walk
          return found.length >= limit;
        };
        session.subtree(oid, 20, feed, (err) => done(err, found.slice(0, limit)));
      });
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        session.close();
      } catch {
        // already closed by a socket error
      }
    },
  };
}

function v3User(auth: NonNullable<SnmpConnection['v3']>) {
  const user: import('net-snmp').User = { name: auth.user, level: snmp.SecurityLevel[auth.level] };
  if (auth.authProtocol) user.authProtocol = snmp.AuthProtocols[auth.authProtocol];
  if (auth.authKey) user.authKey = auth.authKey.reveal();
  if (auth.privProtocol) user.privProtocol = snmp.PrivProtocols[auth.privProtocol];
  if (auth.privKey) user.privKey = auth.privKey.reveal();
  return user;
}

const TOO_BIG = 1;
const NO_SUCH_NAME = 2;

/** An agent's error status on a SET, named; other failures (timeout, v3 auth) go on to classify(). */
function setRefusal(err: Error): Error {
  const status = (err as Error & { status?: unknown }).status;
  if (!(err instanceof snmp.RequestFailedError) || typeof status !== 'number' || !ERROR_STATUS[status]) return err;
  // "NotWritable: 1.3.6..." names the OID of the error-index
  const oid = /:\s*([\d.]+)\s*$/.exec(err.message)?.[1];
  return new SnmpSetRefused(`${ERROR_STATUS[status]}${oid ? ` (${oid})` : ''}`, ERROR_STATUS[status], oid, { cause: err });
}

/** net-snmp's errors as the kinds the driver acts on. */
function classify(err: unknown): SnmpRequestError {
  if (err instanceof SnmpRequestError) return err;
  const e = err as Error & { status?: number; code?: number };
  const message = e?.message ?? String(err);
  if (err instanceof snmp.RequestTimedOutError) return new SnmpRequestError('no answer (timeout)', 'timeout', undefined, { cause: err });
  if (err instanceof snmp.RequestFailedError) {
    if (e.status === TOO_BIG) return new SnmpRequestError('answer too big (tooBig)', 'tooBig', undefined, { cause: err });
    if (e.status === NO_SUCH_NAME) {
      // "NoSuchName: 1.3.6..." names the OID of the error-index
      const oid = /:\s*([\d.]+)\s*$/.exec(message)?.[1];
      return new SnmpRequestError(message, 'noSuchName', oid, { cause: err });
    }
    // a v3 agent's report of an unknown user, wrong key or wrong engine
    if (/user|auth|engine|decrypt/i.test(message)) return new SnmpRequestError(message, 'auth', undefined, { cause: err });
    return new SnmpRequestError(message, 'failed', undefined, { cause: err });
  }
  if (err instanceof snmp.ResponseInvalidError) {
    const kind = /auth|user|decrypt|engine/i.test(message) ? 'auth' : 'failed';
    return new SnmpRequestError(message, kind, undefined, { cause: err });
  }
  return new SnmpRequestError(message, 'failed', undefined, { cause: err });
}
