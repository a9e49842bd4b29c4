/**
 * Caps on open broker connections, in total and per client address, counted from the TCP
 * accept (before any MQTT byte), so clients that never log in take up slots too and one address
 * cannot fill the broker for everyone else.
 */

export interface ConnectionLimits {
  /** a release function to call once when the connection closes, or null: refuse it */
  admit(address: string): (() => void) | null;
  open(): number;
}

export function createConnectionLimits(maxTotal: number, maxPerAddress: number): ConnectionLimits {
  const perAddress = new Map<string, number>();
  let total = 0;
  return {
    admit(address) {
      const mine = perAddress.get(address) ?? 0;
      if (total >= maxTotal || mine >= maxPerAddress) return null;
      total += 1;
      perAddress.set(address, mine + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total -= 1;
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left <= 0) perAddress.delete(address);
        else perAddress.set(address, left);
      };
    },
    open: () => total,
  };
}
