/**
 * One request in flight per physical link: a serial bus answers one master request at a time, and
 * most Modbus TCP gateways in front of RTU buses do too. Waiters are served in arrival order so a
 * fast device cannot starve a slow one on the same bus.
 */
export interface LinkLock {
  run<T>(linkId: string, task: () => Promise<T>): Promise<T>;
  /** devices waiting or running per link (for status pages) */
  depth(linkId: string): number;
}

export function createLinkLock(): LinkLock {
  const tails = new Map<string, Promise<unknown>>();
  const depths = new Map<string, number>();
  return {
    run<T>(linkId: string, task: () => Promise<T>): Promise<T> {
      const previous = tails.get(linkId) ?? Promise.resolve();
      depths.set(linkId, (depths.get(linkId) ?? 0) + 1);
      const result = previous.then(task, task);
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(linkId, tail);
      void tail.then(() => {
        const left = (depths.get(linkId) ?? 1) - 1;
        depths.set(linkId, left);
        if (left === 0 && tails.get(linkId) === tail) tails.delete(linkId);
      });
      return result;
    },
    depth: (linkId) => depths.get(linkId) ?? 0,
  };
}
