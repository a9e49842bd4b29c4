/**
 * Keeps RTU requests in step with their replies (rtu and rtu-over-tcp framing; TCP has
 * transaction ids and needs none of this).
 *
 * A reply that arrives after its request timed out would be taken as the answer to the next
 * request (modbus-serial keeps one transaction slot on RTU ports and matches on unit + function
 * only). So after a lost or broken reply the line must be quiet for a while before the next
 * request, and before every request whatever bytes are already waiting are thrown away: nothing
 * sent before our request can be its answer.
 *
 * RTU also ends a frame with silence. modbus-serial waits for the byte count it expects, so a
 * short or unrecognisable reply would only surface as a timeout: once bytes have come and then
 * stopped for FRAME_GAP_MS without a complete frame, the reply is broken.
 */
import type { Logger } from '../../core/logger.js';

/** RTU has no transaction ids: after a lost reply the line must be quiet this long at most. */
const MAX_SETTLE_MS = 1000;
/** Silence after some bytes of a reply that means the rest is not coming. */
const FRAME_GAP_MS = 100;

/** The parts of the RTU port the guard needs. */
export interface RtuLine {
  /** the byte stream under the port; 'data' fires for every chunk received */
  stream?: NodeJS.EventEmitter;
  /** bytes received but not yet taken as a frame */
  pendingBytes(): number;
  discardPending(): void;
}

export interface RtuLineGuard {
  /** Before each request: waits until the line has been quiet long enough, then drops stale bytes. */
  beforeRequest(signal: AbortSignal): Promise<void>;
  /** The request got no answer in timeoutMs (or was abandoned): its reply may still be coming. */
  replyLost(timeoutMs: number): void;
  /** The reply was malformed: let the rest of it pass before the next request. */
  replyBroken(): void;
  /**
   * Watches the line during one request: calls onBroken (after replyBroken) once bytes came and then
   * stopped for FRAME_GAP_MS while the request was still waiting. Returns the function that ends
   * the watch; call it when the request settles.
   */
  watchReply(onBroken: () => void): () => void;
}

export function createRtuLineGuard(line: RtuLine, logger?: Logger): RtuLineGuard {
  // Quiet gaps are elapsed time: monotonic, or a wall clock stepped back stalls the line for the step.
  let lastRxAt = 0;
  let settleMs = 0;
  let onBytes: (() => void) | undefined;

  // Registered after modbus-serial's own listener, so a chunk that completes a frame has
  // already settled the request when this runs.
  line.stream?.on('data', () => {
    lastRxAt = performance.now();
    onBytes?.();
  });

  const needQuiet = (quietMs: number) => {
    settleMs = Math.max(settleMs, Math.min(MAX_SETTLE_MS, quietMs));
    lastRxAt = Math.max(lastRxAt, performance.now());
  };
  const replyBroken = () => needQuiet(FRAME_GAP_MS);

  return {
    async beforeRequest(signal) {
      while (settleMs > 0) {
        const quietFor = performance.now() - lastRxAt;
        if (quietFor >= settleMs) settleMs = 0;
        else await sleep(settleMs - quietFor, signal);
      }
      const stale = line.pendingBytes();
      if (stale > 0) {
        logger?.debug('discarding stray bytes before a request', { bytes: stale });
        line.discardPending();
      }
    },
    replyLost: needQuiet,
    replyBroken,
    watchReply(onBroken) {
      let gap: NodeJS.Timeout | undefined;
      const watcher = () => {
        clearTimeout(gap);
        gap = setTimeout(() => {
          replyBroken();
          onBroken();
        }, FRAME_GAP_MS);
      };
      onBytes = watcher;
      return () => {
        clearTimeout(gap);
        if (onBytes === watcher) onBytes = undefined;
      };
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
