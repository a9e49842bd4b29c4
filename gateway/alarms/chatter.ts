/**
 * Chatter and flood detection (ISA-18.2 §16, alarm performance): counts raises in sliding windows.
 * An alarm that raises more than `perMinute` times in a minute is chattering; it settles once its
 * count over the last minute is back to half that or less, and at least a minute after it was
 * flagged (hysteresis, so it does not flap at the threshold itself). A site with more than `floodPer10Min` raises in ten minutes is in flood.
 */

export const MINUTE_MS = 60_000;

/** Event times within a sliding window. */
export interface WindowCounter {
  add(t: number): void;
  count(now: number): number;
}

export function createWindowCounter(windowMs: number): WindowCounter {
  const times: number[] = [];
  let head = 0;
  const prune = (now: number) => {
    while (head < times.length && times[head]! <= now - windowMs) head++;
    // Compact now and then rather than shifting on every prune.
    if (head > 64 && head * 2 > times.length) {
      times.splice(0, head);
      head = 0;
    }
  };
  return {
    add(t) {
      times.push(t);
      prune(t);
    },
    count(now) {
      prune(now);
      return times.length - head;
    },
  };
}

export interface ChatterTracker {
  /** Records a raise; returns true when this raise makes the alarm chattering. */
  raised(now: number): boolean;
  /** true when a chattering alarm has settled (the caller clears its flag) */
  settled(now: number): boolean;
  readonly chattering: boolean;
}

/** `chatteringSince`: restores the flag after a restart (the window itself starts empty). */
export function createChatterTracker(perMinute: number, chatteringSince: number | null = null): ChatterTracker {
  const raises = createWindowCounter(MINUTE_MS);
  let chattering = chatteringSince !== null;
  let flaggedAt = chatteringSince ?? 0;
  return {
    get chattering() {
      return chattering;
    },
    raised(now) {
      raises.add(now);
      if (!chattering && raises.count(now) > perMinute) {
        chattering = true;
        flaggedAt = now;
        return true;
      }
      return false;
    },
    settled(now) {
      if (chattering && now - flaggedAt >= MINUTE_MS && raises.count(now) <= Math.floor(perMinute / 2)) {
        chattering = false;
        return true;
      }
      return false;
    },
  };
}
