/** Shared pieces of the sync tests: sample data, a sync config with fast retries, waiting. */
import type { HttpTargetConfig, MqttTargetConfig, SyncSection } from '../../sync/config-schema.js';
import type { Sample } from '../../core/types.js';

/** n samples over `points` points, values of every kind the wire carries. */
export function syncSamples(n: number, start = Date.UTC(2026, 0, 1), points = 7): Sample[] {
  return Array.from({ length: n }, (_, i) => {
    const kind = i % 5;
    const pointId = `dev${i % 3}.p${i % points}`;
    const ts = start + i * 10;
    if (kind === 1) return { pointId, ts, value: i % 2 === 0, quality: 'good' as const };
    if (kind === 2) return { pointId, ts, value: `mode-${i % 4}`, quality: 'good' as const };
    if (kind === 3) return { pointId, ts, value: null, quality: 'bad' as const, reason: 'timeout' };
    return { pointId, ts, value: i * 0.25, quality: 'good' as const };
  });
}

export function httpTarget(url: string, overrides: Partial<HttpTargetConfig> = {}): HttpTargetConfig {
  return {
    id: 'ems',
    kind: 'http',
    url,
    gzip: true,
    batchItems: 500,
    batchBytes: 1_000_000,
    timeoutMs: 2000,
    retryInitialMs: 20,
    retryMaxMs: 200,
    ...overrides,
  };
}

export function mqttTarget(url: string, overrides: Partial<MqttTargetConfig> = {}): MqttTargetConfig {
  return {
    id: 'broker',
    kind: 'mqtt',
    url,
    topicPrefix: 'facility',
    gzip: false,
    batchItems: 500,
    batchBytes: 256 * 1024,
    timeoutMs: 2000,
    keepaliveS: 5,
    retryInitialMs: 50,
    retryMaxMs: 500,
    ...overrides,
  };
}

export function syncSection(targets: SyncSection['targets'], pullTargets: string[] = []): SyncSection {
  return { retention: 'cooperate', pull: { targets: pullTargets, maxLimit: 10_000 }, targets };
}

/** Polls `check` every 20 ms until it returns true. */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
