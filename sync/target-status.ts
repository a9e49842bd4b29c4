/**
 * What health shows for one push target (GET /api/v1/health, metrics): the runner's own account of
 * its work, with a connection problem the transport reports laid over it.
 */
import { scrubUrls } from '../core/redact-url.js';
import type { SyncStream } from '../gateway/store/types.js';
import type { CommandStats } from './commands.js';
import type { SyncTargetKind } from './config-schema.js';
import type { ConnectionProblem, FailureKind } from './transport.js';

export type TargetState = 'idle' | 'sending' | 'retrying' | 'error' | 'stopped';

export interface TargetError {
  message: string;
  kind: FailureKind;
  /** HTTP status when there was one */
  status: number | null;
  at: number;
}

/** What the runner knows about its own work; the backlog comes from the store (see backlog.ts). */
export interface TargetStatus {
  id: string;
  kind: SyncTargetKind;
  /** without credentials */
  url: string;
  /** the streams it sends (a time-series database takes readings only) */
  carries: SyncStream[];
  state: TargetState;
  /** broker connection (MQTT); null for HTTP */
  connected: boolean | null;
  /** ms epoch of the last acknowledged batch */
  lastSuccess: number | null;
  /** the error of the current outage; null again from the first acknowledged batch */
  lastError: TargetError | null;
  /** the most recent error ever, kept after recovery (when and why it last failed) */
  lastFailure: TargetError | null;
  consecutiveFailures: number;
  nextAttemptAt: number | null;
  /** acknowledged items per second over the last minute */
  sendRate: number;
  /** current batch limits (a 413 halves them) */
  batchItems: number;
  batchBytes: number;
  sent: { batches: number; items: number; wireBytes: number };
  failedBatches: number;
  /** seqs the target never got because retention deleted them first (declared as gaps) */
  gapSeqs: Record<SyncStream, number>;
  /** EMS commands (an MQTT target with control.allowEms only) */
  commands?: CommandStats;
  /** readings left out because the engine keeps numbers only, by reason (Prometheus and Influx targets) */
  skipped?: Record<string, number>;
}

/** The parts of a status a connection problem can change. */
export interface ShownFailure {
  state: TargetState;
  lastError: TargetError | null;
  lastFailure: TargetError | null;
}

/**
 * A broker that is down (or refuses the login) is shown even while no send has failed yet: a
 * publish waits quietly for the connection. The problem wins over an older error of the runner.
 */
export function withConnectionProblem(own: ShownFailure, problem: ConnectionProblem | undefined): ShownFailure {
  const { state, lastError, lastFailure } = own;
  let shownState = state;
  let shownError = lastError;
  if (problem && state !== 'stopped') {
    shownState = problem.auth ? 'error' : 'retrying';
    if (!lastError || lastError.at < problem.since) {
      shownError = { message: scrubUrls(problem.message), kind: problem.auth ? 'auth' : 'retry', status: null, at: problem.since };
    }
  }
  return {
    state: shownState,
    lastError: shownError,
    lastFailure: shownError && (!lastFailure || shownError.at > lastFailure.at) ? shownError : lastFailure,
  };
}
