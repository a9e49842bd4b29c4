/**
 * A fast MQTT 3.1.1 publisher for the MQTT bench, in its own process so it does not share the
 * broker's CPU: pre-encoded CONNECT and QoS 0 PUBLISH frames written in large chunks, paced only
 * by TCP backpressure. Parent → child (IPC): {count}; child → parent: {started: ms}, {sent: n}.
 */
import { connect } from 'node:net';

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

function frame(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), remainingLength(body.length), body]);
}

function str(s: string): Buffer {
  const b = Buffer.from(s);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function connectFrame(clientId: string): Buffer {
  // protocol "MQTT" level 4, clean session, keepalive 60 s
  return frame(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, 0, 60]), str(clientId)]));
}

function publishFrame(topic: string, payload: string): Buffer {
  return frame(0x30, Buffer.concat([str(topic), Buffer.from(payload)]));
}

const [, , port, topicCount] = process.argv;
const topics = Array.from({ length: Number(topicCount) }, (_, i) => `bench/rack/r${String(i).padStart(3, '0')}/env`);

process.on('message', (msg: { count: number }) => {
  const socket = connect(Number(port), '127.0.0.1');
  socket.setNoDelay(true);
  socket.once('data', () => {
    // CONNACK: send everything
    const started = Date.now();
    process.send!({ started });
    let i = 0;
    const pump = () => {
      while (i < msg.count) {
        const chunk: Buffer[] = [];
        for (let k = 0; k < 500 && i < msg.count; k++, i++) {
          const t = 20 + (i % 100) / 10;
          chunk.push(publishFrame(topics[i % topics.length]!, `{"temperature":${t},"humidity":${40 + (i % 50) / 10}}`));
        }
        if (!socket.write(Buffer.concat(chunk))) return void socket.once('drain', pump);
      }
      // the socket stays open: closing it early could cut frames the broker has not read yet
      process.send!({ sent: i });
    };
    pump();
  });
  socket.on('error', (err) => {
    process.send!({ error: err.message });
  });
  socket.write(connectFrame(`bench-pub-${process.pid}`));
});

process.on('disconnect', () => process.exit(0));
