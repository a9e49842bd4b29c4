/**
 * JetStream publishes with their PubAcks, many in flight on one connection. A JetStream publish is a
 * core publish with a reply subject; the stream's leader answers there with a PubAck
 * (`{"stream","seq","duplicate"}`) or an error (`{"error":{"code","err_code","description"}}`).
 *
 * Why not the JetStream client's publish(): it builds Error objects and a timer for every message,
 * which made it 3 to 5 times slower than this on 2 cores (test/bench/sync-drain-nats.ts measures
 * both); here one wildcard subscription takes every ack and one timer bounds the whole batch.
 */
import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';

export interface OutgoingMessage {
  msgId: string;
  data: Uint8Array;
  /** extra headers (a gap message's range) */
  extra?: Record<string, string>;
}

export type PubAckResult =
  | { ok: true; stream: string; duplicate: boolean }
  | { ok: false; reason: 'timeout' | 'no-responders' | 'error'; message: string; code?: number };

export interface AckInbox {
  /** Publishes every message to `subject`; resolves with one result per message, in order, within `timeoutMs` (or at close()). */
  publish(subject: string, messages: readonly OutgoingMessage[], timeoutMs: number): Promise<PubAckResult[]>;
  /** Stops taking acks; publishes still waiting end now as failed (no timer outlives the connection). */
  close(): void;
}

const decoder = new TextDecoder();

export function createAckInbox(nc: NatsConnection): AckInbox {
  const prefix = createInbox();
  const waiting = new Map<string, (r: PubAckResult) => void>();
  /** each batch still waiting: ends it with what it has */
  const batches = new Set<(message: string) => void>();
  let next = 0;
  const sub: Subscription = nc.subscribe(`${prefix}.*`, {
    callback: (_err, msg) => {
      const token = msg.subject.slice(prefix.length + 1);
      const resolve = waiting.get(token);
      if (!resolve) return; // late: its batch already timed out
      waiting.delete(token);
      resolve(parse(msg));
    },
  });

  return {
    publish(subject, messages, timeoutMs) {
      const results = new Array<PubAckResult>(messages.length);
      const tokens: string[] = [];
      let open = messages.length;
      return new Promise((resolve) => {
        if (open === 0) return resolve(results);
        const finish = (message: string) => {
          clearTimeout(timer);
          batches.delete(finish);
          for (let i = 0; i < tokens.length; i++) {
            if (waiting.delete(tokens[i]!)) results[i] = { ok: false, reason: 'timeout', message };
          }
          resolve(results);
        };
        const timer = setTimeout(() => finish(`no PubAck within ${timeoutMs} ms`), timeoutMs);
        batches.add(finish);
        const settle = (i: number, r: PubAckResult) => {
          results[i] = r;
          if (--open === 0) finish('');
        };
        messages.forEach((m, i) => {
          const token = String(next++);
          tokens.push(token);
          waiting.set(token, (r) => settle(i, r));
          const h = headers();
          h.set('Nats-Msg-Id', m.msgId);
          if (m.extra) for (const [k, v] of Object.entries(m.extra)) h.set(k, v);
          try {
            nc.publish(subject, m.data, { reply: `${prefix}.${token}`, headers: h });
          } catch (err) {
            // The connection is closed (or the payload is over the server's max_payload).
            waiting.delete(token);
            settle(i, { ok: false, reason: 'error', message: err instanceof Error ? err.message : String(err) });
          }
        });
      });
    },
    close() {
      for (const finish of [...batches]) finish('the connection was closed');
      // Already gone with a closed connection; unsubscribing it again is harmless.
      if (!nc.isClosed()) sub.unsubscribe();
    },
  };
}

const ACK_START = '{"stream":"';

function parse(msg: Msg): PubAckResult {
  // An empty message with status 503: no stream (nor anything else) listens on the subject.
  if (msg.data.length === 0 && msg.headers?.code === 503) return { ok: false, reason: 'no-responders', message: 'no stream answered (no responders)' };
  return parsePubAck(decoder.decode(msg.data));
}

/**
 * A PubAck's text. A duplicate with seq 0 is not an ack: a clustered stream answers so while the
 * first copy is only proposed to its replicas, and that proposal can still be lost (a leader
 * killed); the resend after that gets the stored copy's seq, or is stored once the window passes.
 */
export function parsePubAck(text: string): PubAckResult {
  // The usual answer, `{"stream":"NAME","seq":N}`, without a JSON parse per message.
  if (text.startsWith(ACK_START) && !text.includes('"error"') && !text.includes('"duplicate"')) {
    const end = text.indexOf('"', ACK_START.length);
    if (end > ACK_START.length) return { ok: true, stream: text.slice(ACK_START.length, end), duplicate: false };
  }
  try {
    const body = JSON.parse(text) as { stream?: string; seq?: number; duplicate?: boolean; error?: { code?: number; err_code?: number; description?: string } };
    if (body.error) {
      return { ok: false, reason: 'error', message: `JetStream refused the message: ${body.error.description ?? 'no description'}`, code: body.error.err_code ?? body.error.code };
    }
    if (body.duplicate === true && !body.seq) return { ok: false, reason: 'error', message: 'the stream has the first copy only staged (a duplicate with seq 0), not stored yet' };
    if (typeof body.stream === 'string' && body.stream !== '') return { ok: true, stream: body.stream, duplicate: body.duplicate === true };
  } catch {
    // fall through: not a PubAck
  }
  return { ok: false, reason: 'error', message: 'an answer that is not a PubAck' };
}
