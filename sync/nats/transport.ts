/**
 * NATS JetStream push (`kind: nats`, @nats-io/transport-node + @nats-io/jetstream): each reading and
 * event is one message on `<subjectPrefix>.<gatewayId>.readings|events` with the header
 * `Nats-Msg-Id: <gatewayId>:<stream>:<seq>`, and the cursor moves on the PubAcks (publish-batch.ts).
 *
 * The first connection and the stream check happen on the first send, and again after any failure
 * that may have changed them, so their errors reach health through the runner's backoff like any
 * other failed batch. Once connected, the client reconnects by itself (to any server of the
 * cluster), paced by our backoff; health shows the outage meanwhile (problem(), connected()).
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { AuthorizationError, connect, type NatsConnection, PermissionViolationError, UserAuthenticationExpiredError } from '@nats-io/transport-node';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { publicUrl, scrubUrls } from '../../core/redact-url.js';
import type { Batch } from '../batch.js';
import type { ConnectionProblem, FailureKind, SendOutcome, Transport } from '../transport.js';
import type { NatsTargetConfig } from './config-schema.js';
import { natsConnectOptions } from './connect-options.js';
import { itemLines, readingLines } from './item-lines.js';
import { type AckInbox, createAckInbox, type PubAckResult } from './pub-acks.js';
import { publishBatch } from './publish-batch.js';
import { ensureStream, NatsSetupError } from './stream-setup.js';
import { natsNames } from './subjects.js';

export interface NatsTransportOptions {
  target: NatsTargetConfig;
  gatewayId: string;
  logger: Logger;
  random?: () => number;
}

interface Session {
  nc: NatsConnection;
  inbox: AckInbox;
}

export function createNatsTransport(opts: NatsTransportOptions): Transport {
  const { target, gatewayId, logger } = opts;
  const names = natsNames(target.subjectPrefix, gatewayId);
  const connectOptions = natsConnectOptions(target, gatewayId, opts.random ?? Math.random);
  const shown = target.servers.map(publicUrl).join(',');

  let session: Promise<Session> | undefined;
  let live: NatsConnection | undefined;
  let streamChecked = false;
  let up = false;
  let closing = false;
  let lastProblem: ConnectionProblem | undefined;
  let warnedWindowMs: number | undefined;

  const noteProblem = (message: string, auth: boolean) => {
    if (lastProblem?.message !== message) (auth ? logger.error : logger.warn)('NATS connection problem', { err: message });
    lastProblem = { message, auth, since: lastProblem?.message === message ? lastProblem.since : Date.now() };
  };

  async function open(): Promise<Session> {
    const nc = await connect(connectOptions.options);
    live = nc;
    up = true;
    lastProblem = undefined;
    logger.info('connected to NATS', { server: publicUrl(`nats://${nc.getServer()}`) });
    const inbox = createAckInbox(nc);
    void watch(nc, inbox);
    return { nc, inbox };
  }

  /** Follows the connection's status until it closes; a closed connection is opened anew by the next send. */
  async function watch(nc: NatsConnection, inbox: AckInbox): Promise<void> {
    void nc.closed().then((err) => {
      up = false;
      // Publishes still waiting will not get their PubAcks now: fail them at once.
      inbox.close();
      if (live === nc) {
        live = undefined;
        session = undefined;
      }
      if (err && !closing) noteProblem(`NATS ${shown}: connection closed: ${describe(err)}`, isAuth(err));
    });
    for await (const s of nc.status()) {
      if (closing) break;
      if (s.type === 'disconnect') {
        up = false;
        noteProblem(`NATS ${shown}: disconnected from ${publicUrl(`nats://${s.server}`)}`, false);
      } else if (s.type === 'reconnect') {
        up = true;
        connectOptions.reconnected();
        logger.info('NATS connection back', { server: publicUrl(`nats://${s.server}`) });
        lastProblem = undefined;
        // The stream may have moved or gone while we were away.
        streamChecked = false;
      } else if (s.type === 'error') {
        noteProblem(`NATS ${shown}: ${describe(s.error)}`, isAuth(s.error));
      }
    }
  }

  async function ready(): Promise<Session> {
    session ??= open();
    let s: Session;
    try {
      s = await session;
    } catch (err) {
      session = undefined;
      throw err;
    }
    if (!streamChecked) {
      const jsm = await jetstreamManager(s.nc, { timeout: target.timeoutMs });
      const windowMs = await ensureStream(jsm, {
        stream: target.stream,
        subjects: names.subjects,
        ...(target.createStream ? { create: { settings: target.createStream, subjects: names.streamSubjects(target.createStream.subjects) } } : {}),
        logger,
      });
      streamChecked = true;
      // A resend comes at most a PubAck timeout plus the longest backoff after the first publish.
      const resendWithinMs = target.timeoutMs + target.retryMaxMs;
      if (windowMs < resendWithinMs && warnedWindowMs !== windowMs) {
        warnedWindowMs = windowMs;
        logger.warn('the stream drops resends only within its duplicate window, which is shorter than a resend can take', {
          stream: target.stream,
          duplicateWindowS: windowMs / 1000,
          resendWithinS: resendWithinMs / 1000,
        });
      }
    }
    return s;
  }

  async function send(batch: Batch, payload: Buffer, signal: AbortSignal): Promise<SendOutcome> {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<SendOutcome>((resolve) => {
      onAbort = () => resolve({ ok: false, kind: 'retry', message: 'stopped' });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([attempt(batch, payload), aborted]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  async function attempt(batch: Batch, payload: Buffer): Promise<SendOutcome> {
    let s: Session;
    try {
      s = await ready();
    } catch (err) {
      return failure(err);
    }
    const result = await publishBatch(s.inbox, names, target.stream, batch, payload, target.timeoutMs);
    if (result.ackSeq >= batch.fromSeq) {
      // Stored: whatever the server complained about last (a permission since granted) is over.
      if (up) lastProblem = undefined;
      return { ok: true, ackSeq: result.ackSeq, wireBytes: result.wireBytes };
    }
    // Nothing taken: look at the stream again before the next attempt (deleted, moved, re-created).
    streamChecked = false;
    if (result.wrongStream !== undefined) {
      return {
        ok: false,
        kind: 'rejected',
        message: `JetStream stream "${result.wrongStream}" took ${names.subject[batch.stream]}, not "${target.stream}"`,
        wireBytes: result.wireBytes,
      };
    }
    return { ...publishFailure(batch, result.failed), wireBytes: result.wireBytes };
  }

  /** A connection or stream-setup failure as the runner classifies it. */
  function failure(err: unknown): Extract<SendOutcome, { ok: false }> {
    if (err instanceof NatsSetupError) return { ok: false, kind: err.kind, message: err.message };
    const auth = isAuth(err);
    if (!auth && !up && lastProblem) return { ok: false, kind: lastProblem.auth ? 'auth' : 'retry', message: lastProblem.message };
    // No JetStream at setup is the server's or the account's configuration, not an outage.
    if (jetStreamOff(err)) return { ok: false, kind: 'rejected', message: `NATS ${shown}: JetStream is not enabled on the server or for this account` };
    return { ok: false, kind: auth ? 'auth' : 'retry', message: `NATS ${shown}: ${describe(err)}` };
  }

  /**
   * A publish without its PubAck. An outage (or a refused permission) reports itself rather than the
   * timeout it caused. No responders is usually a cluster node still starting; the stream check
   * before the next attempt tells that apart from a stream that was removed.
   */
  function publishFailure(batch: Batch, failed: PubAckResult | undefined): Extract<SendOutcome, { ok: false }> {
    const subject = names.subject[batch.stream];
    if (lastProblem && (!up || lastProblem.auth)) return { ok: false, kind: lastProblem.auth ? 'auth' : 'retry', message: lastProblem.message };
    if (!failed || failed.ok) return { ok: false, kind: 'retry', message: `NATS ${shown}: ${subject}: no PubAck` };
    if (failed.reason === 'no-responders') return { ok: false, kind: 'retry', message: `NATS ${shown}: no stream answered on ${subject}` };
    // One message over the server's max_payload will not pass by itself.
    const kind: FailureKind = /max(imum)?[ _]payload/i.test(failed.message) ? 'rejected' : 'retry';
    return { ok: false, kind, message: `NATS ${shown}: ${subject} from seq ${batch.fromSeq}: ${scrubUrls(failed.message)}` };
  }

  return {
    start() {
      // Connect early so health shows a refused login or an unreachable cluster before the first batch.
      ready().catch(() => undefined);
    },
    async encode(batch) {
      return Buffer.from(batch.stream === 'readings' ? readingLines(batch.itemsJson) : itemLines(batch.itemsJson), 'utf8');
    },
    send,
    connected: () => live !== undefined && up,
    problem: () => (live !== undefined && up ? undefined : lastProblem),
    async close() {
      closing = true;
      const s = await session?.catch(() => undefined);
      s?.inbox.close();
      await s?.nc.close().catch(() => undefined);
    },
  };
}

/** The client's JetStreamNotEnabled (not exported by the package's main entry): no stream answers at all. */
function jetStreamOff(err: unknown): boolean {
  return err instanceof Error && err.name === 'JetStreamNotEnabled';
}

function isAuth(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof AuthorizationError || e instanceof UserAuthenticationExpiredError || e instanceof PermissionViolationError) return true;
  }
  return false;
}

/** The error's text with its causes, without URLs' credentials. */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e = err; e !== undefined && parts.length < 3; e = e instanceof Error ? e.cause : undefined) parts.push(errorMessage(e));
  return scrubUrls([...new Set(parts)].join(': '));
}
