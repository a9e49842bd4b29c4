/** A NATS sync target for tests: fast retries, a short PubAck timeout, the stream `FACILITY`. */
import type { NatsTargetConfig } from '../../sync/config-schema.js';

export function natsTarget(servers: string[], overrides: Partial<NatsTargetConfig> = {}): NatsTargetConfig {
  return {
    id: 'bus',
    kind: 'nats',
    servers,
    subjectPrefix: 'facility',
    stream: 'FACILITY',
    batchItems: 500,
    batchBytes: 1_000_000,
    timeoutMs: 2000,
    retryInitialMs: 50,
    retryMaxMs: 500,
    ...overrides,
  };
}
