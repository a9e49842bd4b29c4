/**
 * Turns parsed request frames into response bytes for one connection or serial line: picks the
 * slave by unit id, applies its faults, frames the answer (MBAP or RTU) and sends it right away
 * (or after the slave's delay). Shared by the TCP and serial servers.
 */
import { encodeMbap, encodeRtu, MAX_PDU, type RequestFrame } from './frames.js';
import { EXCEPTION, exceptionPdu } from './pdu.js';
import type { Rng } from '../../../core/sim-random.js';
import type { GarbageMode, ServedSlave, ServerStats } from './slave.js';

/** `mbap`: Modbus TCP; `rtu`: address + PDU + CRC (serial line or RTU over TCP). */
export type Framing = 'mbap' | 'rtu';

export interface Link {
  write(bytes: Buffer): void;
  /** closes the connection; a serial line cannot be dropped and ignores it */
  drop(): void;
  readonly closed: boolean;
}

export interface ResponderOptions {
  framing: Framing;
  slaves: ReadonlyMap<number, ServedSlave>;
  stats: ServerStats;
  rng: Rng;
  link: Link;
}

export interface Responder {
  onFrame(frame: RequestFrame): void;
  /** cancels delayed responses (the link is gone) */
  dispose(): void;
}

const WRITE_CODES = new Set([5, 6, 15, 16]);

export function createResponder(opts: ResponderOptions): Responder {
  const { framing, slaves, stats, rng, link } = opts;
  const out = Buffer.allocUnsafe(MAX_PDU + 4);
  const timers = new Set<NodeJS.Timeout>();

  const frame = (frame: RequestFrame, pduLength: number): Buffer =>
    framing === 'mbap'
      ? encodeMbap(frame.transactionId, frame.unitId, out, pduLength)
      : encodeRtu(frame.unitId, out, pduLength);

  const send = (bytes: Buffer, slave: ServedSlave | undefined, delayMs: number) => {
    if (delayMs <= 0) {
      link.write(bytes);
      slave?.responded();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (link.closed) return;
      link.write(bytes);
      slave?.responded();
    }, delayMs);
    timers.add(timer);
  };

  const broadcast = (frame: RequestFrame) => {
    // RTU unit 0: every slave applies a write, nobody answers
    if (!WRITE_CODES.has(frame.pdu[0]!)) return;
    for (const slave of slaves.values()) slave.serve(frame.pdu, out);
  };

  return {
    onFrame(request) {
      const slave = slaves.get(request.unitId);
      if (!slave) {
        stats.unknownUnit++;
        if (framing === 'rtu') {
          if (request.unitId === 0) broadcast(request);
          // on a bus, an address nobody has is simply not answered
          return;
        }
        // a TCP gateway reports a unit it cannot reach
        const length = exceptionPdu(request.pdu[0]!, EXCEPTION.gatewayTarget, out);
        send(frame(request, length), undefined, 0);
        return;
      }
      const decision = slave.serve(request.pdu, out);
      if (decision.action === 'silent') return;
      if (decision.action === 'drop') {
        link.drop();
        return;
      }
      let bytes = frame(request, decision.length);
      if (decision.garbage) bytes = mangle(bytes, framing, decision.garbage, rng);
      send(bytes, slave, decision.delayMs);
    },
    dispose() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

/** Breaks a well-formed response the way `mode` says (see GarbageMode). */
export function mangle(bytes: Buffer, framing: Framing, mode: GarbageMode, rng: Rng): Buffer {
  const copy = Buffer.from(bytes);
  if (mode === 'random' || mode === 'noise') {
    // `random` keeps the MBAP header so the client matches it to the request and must judge the PDU
    for (let i = mode === 'random' && framing === 'mbap' ? 7 : 0; i < copy.length; i++) copy[i] = Math.floor(rng.next() * 256);
    return copy;
  }
  if (framing === 'mbap') {
    const cut = copy.subarray(0, copy.length - 1);
    cut.writeUInt16BE(cut.length - 6, 4);
    return cut;
  }
  if (mode === 'bad-crc') {
    copy[copy.length - 1]! ^= 0xa5;
    return copy;
  }
  // short: drop the last data byte but keep a valid CRC, so only the length is wrong
  const pdu = copy.subarray(1, copy.length - 3);
  return encodeRtu(copy[0]!, pdu);
}
