/** Counters of the MQTT ingest, for the health API: what arrived, what was kept, what was refused and why. */
import { BAD_INPUT_REASONS, type BadInputReason } from './payload.js';

export interface IngestCounters {
  /** messages that reached the ingest (on any subscribed topic) */
  messages: number;
  /** retained messages among them */
  retained: number;
  /** values taken (each becomes one stored sample) */
  values: number;
  /** points pushed as bad/stale after their silence */
  staleEvents: number;
  /** refused input by reason: never stored as good */
  rejected: Record<BadInputReason, number>;
}

export interface IngestStats extends IngestCounters {
  count(reason: BadInputReason, n?: number): void;
  snapshot(): IngestCounters;
}

export function createIngestStats(): IngestStats {
  const rejected = Object.fromEntries(BAD_INPUT_REASONS.map((r) => [r, 0])) as Record<BadInputReason, number>;
  return {
    messages: 0,
    retained: 0,
    values: 0,
    staleEvents: 0,
    rejected,
    count(reason, n = 1) {
      rejected[reason] += n;
    },
    snapshot() {
      return { messages: this.messages, retained: this.retained, values: this.values, staleEvents: this.staleEvents, rejected: { ...rejected } };
    },
  };
}
