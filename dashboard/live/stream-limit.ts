/**
 * Open live streams per owner (a user, or an API token), capped: each stream holds memory and a
 * socket, and one login must not be able to open hundreds. Opening one more than the cap closes
 * that owner's oldest stream, so a forgotten tab gives way to the page just opened.
 */

export const DEFAULT_MAX_LIVE_STREAMS = 10;

export interface StreamLimit {
  /**
   * Registers a stream of `owner`; `close` ends it (called when the owner opens too many).
   * Returns the function to call when the stream ends for any reason.
   */
  open(owner: string, close: () => void): () => void;
  /** open streams of one owner */
  count(owner: string): number;
}

/** `max` as a function is read each time a stream opens (`http.maxLiveStreams` changed live): a lower cap closes the oldest extra streams of the owner opening one. */
export function createStreamLimit(max: number | (() => number) = DEFAULT_MAX_LIVE_STREAMS): StreamLimit {
  const capOf = () => Math.max(1, Math.floor(typeof max === 'number' ? max : max()));
  /** per owner, its streams oldest first */
  const byOwner = new Map<string, Array<() => void>>();

  function remove(owner: string, close: () => void): void {
    const list = byOwner.get(owner);
    if (!list) return;
    const at = list.indexOf(close);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) byOwner.delete(owner);
  }

  return {
    open(owner, close) {
      const list = byOwner.get(owner) ?? [];
      byOwner.set(owner, list);
      list.push(close);
      const cap = capOf();
      while (list.length > cap) {
        // Taken off the list before it runs, so its own "ended" call finds nothing to remove.
        const oldest = list.shift()!;
        oldest();
      }
      return () => remove(owner, close);
    },
    count: (owner) => byOwner.get(owner)?.length ?? 0,
  };
}
