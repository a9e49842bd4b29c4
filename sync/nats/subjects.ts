/**
 * Names on the NATS side for one gateway: the subjects it publishes to and the `Nats-Msg-Id` of each
 * message. The id is the same for every resend of a seq, so the stream's duplicate window drops it.
 */
import type { SyncStream } from '../../gateway/store/types.js';

export interface NatsNames {
  subject: Record<SyncStream, string>;
  /** what the stream must capture (both subjects) */
  subjects: string[];
  /** `<gatewayId>:<stream>:<seq>` */
  msgId(stream: SyncStream, seq: number): string;
  /** `<gatewayId>:<stream>:gap:<from>-<to>`: a declared gap is a message of its own (see docs/sync-protocol.md) */
  gapId(stream: SyncStream, fromSeq: number, toSeq: number): string;
  /** what `createStream` gives the stream: every gateway under the prefix, or this one only */
  streamSubjects(scope: 'shared' | 'gateway'): string[];
}

export function natsNames(prefix: string, gatewayId: string): NatsNames {
  const subject = { events: `${prefix}.${gatewayId}.events`, readings: `${prefix}.${gatewayId}.readings` };
  return {
    subject,
    subjects: [subject.events, subject.readings],
    msgId: (stream, seq) => `${gatewayId}:${stream}:${seq}`,
    gapId: (stream, fromSeq, toSeq) => `${gatewayId}:${stream}:gap:${fromSeq}-${toSeq}`,
    streamSubjects: (scope) => [scope === 'shared' ? `${prefix}.>` : `${prefix}.${gatewayId}.>`],
  };
}

/** The header that marks a gap message, with the range as `<from>-<to>`. */
export const GAP_HEADER = 'Gateway-Gap';
