/**
 * One batch as JetStream messages: every item (and every declared gap) is its own publish, all in
 * flight at once, each with its `Nats-Msg-Id`. The batch is acknowledged up to the highest seq below
 * which every publish has its PubAck: a partial ack is fine (the runner resends the rest, and the
 * stream drops what it already holds), a hole is not.
 */
import type { Batch } from '../batch.js';
import { splitLines } from './item-lines.js';
import type { AckInbox, OutgoingMessage, PubAckResult } from './pub-acks.js';
import { GAP_HEADER, type NatsNames } from './subjects.js';

export interface Published {
  /** the highest seq covered by PubAcks with none missing below it (fromSeq - 1 when none) */
  ackSeq: number;
  /** bytes of payload and headers put on the wire */
  wireBytes: number;
  /** why the first publish without a PubAck failed, when one did */
  failed?: Extract<PubAckResult, { ok: false }>;
  /** a PubAck from a stream other than the expected one (the subjects moved to another stream) */
  wrongStream?: string;
}

/** Publishes the batch; never rejects. `lines` is the batch's encoding (item-lines.ts). */
export async function publishBatch(inbox: AckInbox, names: NatsNames, stream: string, batch: Batch, lines: Buffer, timeoutMs: number): Promise<Published> {
  const { messages, upTo } = messagesOf(names, batch, lines);
  const subject = names.subject[batch.stream];
  let wireBytes = 0;
  // subject, reply, the header block and the payload, roughly as the protocol frames them
  for (const m of messages) wireBytes += 2 * subject.length + m.msgId.length + m.data.length + 64;
  const results = await inbox.publish(subject, messages, timeoutMs);
  let ackSeq = batch.fromSeq - 1;
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    if (!r.ok) return { ackSeq, wireBytes, failed: r };
    if (r.stream !== stream) return { ackSeq, wireBytes, wrongStream: r.stream };
    ackSeq = upTo[i]!;
  }
  return { ackSeq, wireBytes };
}

/** The batch's items and gaps in seq order, each gap just before the item that follows it. */
function messagesOf(names: NatsNames, batch: Batch, lines: Buffer): { messages: OutgoingMessage[]; upTo: number[] } {
  const items = splitLines(lines, batch.rows.length);
  const messages: OutgoingMessage[] = [];
  const upTo: number[] = [];
  let g = 0;
  const gapsBefore = (seq: number) => {
    for (; g < batch.gaps.length && batch.gaps[g]!.fromSeq < seq; g++) {
      const { fromSeq, toSeq } = batch.gaps[g]!;
      messages.push({
        msgId: names.gapId(batch.stream, fromSeq, toSeq),
        data: Buffer.from(`{"gap":{"fromSeq":${fromSeq},"toSeq":${toSeq}}}`),
        extra: { [GAP_HEADER]: `${fromSeq}-${toSeq}` },
      });
      upTo.push(toSeq);
    }
  };
  for (let i = 0; i < batch.rows.length; i++) {
    const seq = batch.rows[i]!.seq;
    gapsBefore(seq);
    messages.push({ msgId: names.msgId(batch.stream, seq), data: items[i]! });
    upTo.push(seq);
  }
  gapsBefore(Number.POSITIVE_INFINITY);
  return { messages, upTo };
}
