/** Counters of the trap receiver for the health API: what arrived, what was kept, what was dropped and why. */

export interface TrapCounters {
  /** datagrams that reached the receiver (accepted or not) */
  received: number;
  /** notifications from a configured device: one `snmp.trap` event each (per device at that address) */
  accepted: number;
  /** from an address that is no configured device's trap source (dropped unparsed, whatever its community) */
  droppedUnknownSource: number;
  /** wrong community, unknown v3 user, failed digest or decryption */
  droppedAuth: number;
  /** beyond `maxPerSecond` */
  droppedRate: number;
  /** not a notification one can read (malformed, no snmpTrapOID, a request PDU) */
  droppedInvalid: number;
  /** the address (never the port or credentials) of the last datagram */
  lastFrom: string | null;
}

export type DropReason = 'unknownSource' | 'auth' | 'rate' | 'invalid';

const FIELD: Record<DropReason, keyof TrapCounters> = {
  unknownSource: 'droppedUnknownSource',
  auth: 'droppedAuth',
  rate: 'droppedRate',
  invalid: 'droppedInvalid',
};

export interface TrapStats {
  receivedFrom(address: string | undefined): void;
  accepted(): void;
  dropped(reason: DropReason): void;
  snapshot(): TrapCounters;
}

export function createTrapStats(): TrapStats {
  const c: TrapCounters = { received: 0, accepted: 0, droppedUnknownSource: 0, droppedAuth: 0, droppedRate: 0, droppedInvalid: 0, lastFrom: null };
  return {
    receivedFrom(address) {
      c.received++;
      if (address) c.lastFrom = address;
    },
    accepted() {
      c.accepted++;
    },
    dropped(reason) {
      (c[FIELD[reason]] as number)++;
    },
    snapshot: () => ({ ...c }),
  };
}
