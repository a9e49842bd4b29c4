/**
 * A fault in front of a real agent: a UDP relay that forwards every SNMP request to the agent and
 * relays its answer, but for a GET with more than `maxVarbinds` varbinds it turns the answer's
 * error-status into tooBig(1), as an agent with a small message buffer does. Only the
 * error-status byte changes (BER lengths stay), so the rest of the answer is the agent's own.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

interface Tlv {
  tag: number;
  start: number;
  valueStart: number;
  end: number;
}

function readTlv(buf: Buffer, at: number): Tlv {
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let valueStart = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[at + 2 + i]!;
    valueStart += n;
  }
  return { tag, start: at, valueStart, end: valueStart + len };
}

/** The children of a constructed TLV. */
function children(buf: Buffer, tlv: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = tlv.valueStart; at < tlv.end; ) {
    const child = readTlv(buf, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** v1/v2c message: SEQUENCE { version, community, PDU { reqId, errorStatus, errorIndex, varbinds } } */
function pduParts(buf: Buffer) {
  const [, , pdu] = children(buf, readTlv(buf, 0));
  const [, errorStatus, , varbinds] = children(buf, pdu!);
  return { pduTag: pdu!.tag, errorStatus: errorStatus!, varbindCount: children(buf, varbinds!).length };
}

export interface TooBigProxy {
  port: number;
  /** GETs answered tooBig so far */
  tooBigAnswers(): number;
  close(): Promise<void>;
}

export async function startTooBigProxy(agentPort: number, maxVarbinds: number): Promise<TooBigProxy> {
  const front = createSocket('udp4');
  let answers = 0;
  // one relay socket per client, so answers find their way back; the last request decides
  const relays = new Map<string, { ready: Promise<Socket>; tooBig: boolean }>();
  const relayFor = (client: RemoteInfo) => {
    const key = `${client.address}:${client.port}`;
    let relay = relays.get(key);
    if (!relay) {
      const socket = createSocket('udp4');
      const entry = { ready: new Promise<Socket>((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket))), tooBig: false };
      socket.on('message', (answer) => {
        if (entry.tooBig) {
          answer[pduParts(answer).errorStatus.end - 1] = 1;
          answers += 1;
        }
        front.send(answer, client.port, client.address);
      });
      relays.set(key, entry);
      relay = entry;
    }
    return relay;
  };
  front.on('message', async (msg, client) => {
    const parts = pduParts(msg);
    const relay = relayFor(client);
    relay.tooBig = parts.pduTag === 0xa0 && parts.varbindCount > maxVarbinds;
    (await relay.ready).send(msg, agentPort, '127.0.0.1');
  });
  await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
  return {
    port: front.address().port,
    tooBigAnswers: () => answers,
    async close() {
      for (const r of relays.values()) (await r.ready).close();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    },
  };
}
