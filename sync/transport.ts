/** What a push target's runner needs from a protocol: send one batch, hear the receiver's ack. */
import type { Batch } from './batch.js';
import type { CommandStats } from './commands.js';

/**
 * `retry`: may pass by itself (network, timeout, 5xx): exponential backoff with jitter.
 * `auth`: 401/403 or a broker refusing the login: a visible error, slower retries.
 * `too-large`: 413: the batch is halved and sent again.
 * `rejected`: any other answer that will not change by itself (404, 400, a redirect): visible, slower.
 */
export type FailureKind = 'retry' | 'auth' | 'too-large' | 'rejected';

export type SendOutcome =
  | { ok: true; ackSeq: number; wireBytes: number }
  | { ok: false; kind: FailureKind; message: string; status?: number; retryAfterMs?: number; wireBytes?: number };

export interface ConnectionProblem {
  message: string;
  auth: boolean;
  /** ms epoch it was first seen */
  since: number;
}

export interface Transport {
  /** Opens a connection (MQTT); called once when the target starts. */
  start?(): void;
  /** The batch as it goes on the wire (compression runs off the main thread). */
  encode(batch: Batch): Promise<Buffer>;
  /** Sends one encoded batch; resolves with the receiver's ack or a classified failure, never rejects. */
  send(batch: Batch, payload: Buffer, signal: AbortSignal): Promise<SendOutcome>;
  /** Connection state for health (a broker connection); undefined for request-response protocols. */
  connected?(): boolean;
  /** The connection's current problem (refused login, broker down), while there is one. */
  problem?(): ConnectionProblem | undefined;
  /** EMS commands taken over this connection (MQTT with control.allowEms) */
  commandStats?(): CommandStats;
  /** Readings the engine has no place for, left out and counted by reason (time-series targets: text, no value, bad quality) */
  skipped?(): Record<string, number>;
  /** Stops; an MQTT transport first marks the gateway offline. */
  close(): Promise<void>;
}
