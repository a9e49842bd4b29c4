/**
 * The EMS side of the NATS target in tests: reads a JetStream stream back from its first message
 * with an ordered consumer, as a central consumer would, and groups what it holds by gateway
 * stream and seq (the seq is in the message's `Nats-Msg-Id` and in its JSON).
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

export interface StoredMessage {
  /** the JetStream stream sequence (its order in the stream) */
  streamSeq: number;
  subject: string;
  msgId: string;
  gap: string | undefined;
  json: Record<string, unknown>;
}

export interface StreamContents {
  messages: StoredMessage[];
  /** per gateway stream (`events`/`readings`, from the subject's last token): the item seqs in stream order */
  seqs: Record<string, number[]>;
  /** item seqs held more than once, per gateway stream */
  duplicates: Record<string, number[]>;
  /** ids whose seq in the id differs from the seq in the JSON */
  mismatchedIds: string[];
}

/** Every message of `stream` (optionally only under `subjectFilter`), in stream order. */
export async function readStream(nc: NatsConnection, stream: string, subjectFilter?: string): Promise<StreamContents> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const total = info.state.messages;
  const messages: StoredMessage[] = [];
  if (total > 0) {
    const consumer = await jetstream(nc).consumers.get(stream, subjectFilter ? { filter_subjects: subjectFilter } : {});
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const batch = await consumer.fetch({ max_messages: 5000, expires: 1000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        messages.push({
          streamSeq: m.seq,
          subject: m.subject,
          msgId: m.headers?.get('Nats-Msg-Id') ?? '',
          gap: m.headers?.get('Gateway-Gap') || undefined,
          json: JSON.parse(new TextDecoder().decode(m.data)) as Record<string, unknown>,
        });
      }
      const last = messages.at(-1)?.streamSeq ?? 0;
      if (got === 0 || last >= info.state.last_seq) break;
    }
  }
  const seqs: Record<string, number[]> = {};
  const duplicates: Record<string, number[]> = {};
  const seen = new Set<string>();
  const mismatchedIds: string[] = [];
  for (const m of messages) {
    if (m.gap) continue;
    const stream = m.subject.slice(m.subject.lastIndexOf('.') + 1);
    const seq = m.json.seq as number;
    if (!m.msgId.endsWith(`:${stream}:${seq}`)) mismatchedIds.push(m.msgId);
    push(seqs, stream, seq);
    const key = `${m.subject}:${seq}`;
    if (seen.has(key)) push(duplicates, stream, seq);
    seen.add(key);
  }
  return { messages, seqs, duplicates, mismatchedIds };
}

function push(to: Record<string, number[]>, key: string, value: number): void {
  const list = to[key];
  if (list) list.push(value);
  else to[key] = [value];
}

/** 1..n */
export const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
