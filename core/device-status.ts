/** Communication health of one device, as the sampler sees it. */
export type CommState = 'connecting' | 'up' | 'degraded' | 'down';

export interface DeviceStatus {
  deviceId: string;
  state: CommState;
  /** ms epoch of the last poll that returned samples */
  lastSuccess: number | null;
  lastAttempt: number | null;
  /** failed polls since start */
  errorCount: number;
  consecutiveFailures: number;
  lastError: string | null;
  /** successful polls since start */
  polls: number;
  /** schedule slots skipped because a poll (or the shared link) took longer than the interval */
  overruns: number;
  /** duration of the last successful poll, including the wait for a shared link */
  lastPollMs: number | null;
  /** when the device is backed off after failures, the next attempt (ms epoch) */
  retryAt: number | null;
}

export function initialStatus(deviceId: string): DeviceStatus {
  return {
    deviceId,
    state: 'connecting',
    lastSuccess: null,
    lastAttempt: null,
    errorCount: 0,
    consecutiveFailures: 0,
    lastError: null,
    polls: 0,
    overruns: 0,
    lastPollMs: null,
    retryAt: null,
  };
}
