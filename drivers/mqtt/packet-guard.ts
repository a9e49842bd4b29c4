/**
 * A size gate in front of aedes. aedes' parser (mqtt-packet) buffers a whole packet before it
 * looks at it and has no size limit, so a client declaring a 256 MB packet made the broker hold
 * all of it. The guard reads only each packet's fixed header (type byte + remaining-length varint)
 * as bytes arrive and closes the connection the moment a header declares more than the limit —
 * before the body is read, so nothing beyond one socket chunk is ever held for it.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/** The MQTT remaining length is at most 4 varint bytes (§2.2.3). */
const MAX_LENGTH_BYTES = 4;

export type ScanVerdict = { ok: true } | { ok: false; declared: number; limit: number; malformed: boolean };

/**
 * Follows packet boundaries across chunks. `limit()` is asked when each header is read, so a
 * connection can move from the before-login limit to the after-login one between packets.
 */
export function createPacketScanner(limit: () => number): (chunk: Buffer) => ScanVerdict {
  let state: 'type' | 'length' | 'body' = 'type';
  let length = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  let remaining = 0;
  return (chunk) => {
    let i = 0;
    while (i < chunk.length) {
      if (state === 'body') {
        const take = Math.min(remaining, chunk.length - i);
        remaining -= take;
        i += take;
        if (remaining === 0) state = 'type';
        continue;
      }
      if (state === 'type') {
        state = 'length';
        length = 0;
        multiplier = 1;
        lengthBytes = 0;
        i += 1;
        continue;
      }
      const byte = chunk[i]!;
      i += 1;
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      lengthBytes += 1;
      const max = limit();
      // later length bytes only add: a partial header already over the limit is enough
      const declared = 1 + lengthBytes + length;
      if (declared > max) return { ok: false, declared, limit: max, malformed: false };
      if (byte & 0x80) {
        if (lengthBytes === MAX_LENGTH_BYTES) return { ok: false, declared, limit: max, malformed: true };
        continue;
      }
      remaining = length;
      state = remaining === 0 ? 'type' : 'body';
    }
    return { ok: true };
  };
}

export interface GuardedConnection extends Duplex {
  readonly remoteAddress: string | undefined;
}

export interface GuardOptions {
  /** the largest whole packet (header included) allowed now */
  limit: () => number;
  /** called once when a packet is refused; the connection is already being destroyed */
  onRefused: (verdict: Extract<ScanVerdict, { ok: false }>) => void;
}

/**
 * The socket as aedes sees it: bytes pass through unchanged after the scanner saw them, writes
 * go straight to the socket, and closing either side closes both. Back-pressure is kept: the
 * socket is paused while aedes has not read what was pushed.
 */
export function guardConnection(socket: Socket, options: GuardOptions): GuardedConnection {
  const scan = createPacketScanner(options.limit);
  const conn = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    writev(chunks, callback) {
      socket.write(Buffer.concat(chunks.map((c) => c.chunk as Buffer)), callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  }) as GuardedConnection;
  Object.defineProperty(conn, 'remoteAddress', { get: () => socket.remoteAddress, enumerable: true });
  socket.on('data', (chunk: Buffer) => {
    if (conn.destroyed) return;
    const verdict = scan(chunk);
    if (!verdict.ok) {
      socket.destroy();
      conn.destroy();
      options.onRefused(verdict);
      return;
    }
    if (!conn.push(chunk)) socket.pause();
  });
  socket.on('end', () => conn.push(null));
  socket.on('error', (err) => conn.destroy(err));
  socket.on('close', () => conn.destroy());
  return conn;
}
