/**
 * Tells "no answer" from "an answer that was garbage". modbus-serial waits for a frame it can
 * match, so a device that sends noise (a wrong baud rate, another protocol on the port, a broken
 * serial server) ends in the same timeout as a device that sends nothing. Counting the bytes that
 * came, and the frames the port made of them, tells the two apart: bytes without a frame for one of
 * our requests are garbage, reported as `bad-frame`, not as silence.
 */

/** The parts of modbus-serial's port this needs. */
export interface WatchedPort {
  /** the byte stream under the port ('data' per chunk received) */
  stream?: NodeJS.EventEmitter;
  /** the port itself: 'data' per whole frame it parsed */
  port?: NodeJS.EventEmitter;
  /** TCP: the transaction id of the last frame parsed */
  lastFrameId(): number | undefined;
}

export interface NoiseWatch {
  /** TCP: the transaction id of a request about to be sent (a late reply to it is a frame, not garbage) */
  sent(transactionId: number): void;
  /**
   * Taken when a request starts; garbageBytes() then says how many bytes came since without a
   * frame. A link has one request in flight at a time, so one mark serves it (no object per request).
   */
  mark(): void;
  garbageBytes(): number;
}

/** How many recent transaction ids count as ours: a late reply is to one of the last few requests. */
const RECENT_IDS = 16;

export function createNoiseWatch(framing: 'tcp' | 'rtu' | 'rtu-over-tcp', line: WatchedPort): NoiseWatch {
  let bytes = 0;
  let frames = 0;
  let bytesAtMark = 0;
  let framesAtMark = 0;
  // The last RECENT_IDS ids sent, as a ring (-1: empty): a Set with eviction cost an iterator per request.
  const recent = new Int32Array(RECENT_IDS).fill(-1);
  let nextSlot = 0;
  const isRecent = (id: number) => {
    for (let i = 0; i < RECENT_IDS; i++) if (recent[i] === id) return true;
    return false;
  };
  line.stream?.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  line.port?.on('data', () => {
    // RTU frames are matched by unit and function already; on TCP a frame with an id we never sent is noise.
    const id = line.lastFrameId();
    if (framing !== 'tcp' || (id !== undefined && isRecent(id))) frames += 1;
  });
  return {
    sent(transactionId) {
      recent[nextSlot] = transactionId;
      nextSlot = (nextSlot + 1) % RECENT_IDS;
    },
    mark() {
      bytesAtMark = bytes;
      framesAtMark = frames;
    },
    garbageBytes: () => (frames === framesAtMark ? bytes - bytesAtMark : 0),
  };
}
