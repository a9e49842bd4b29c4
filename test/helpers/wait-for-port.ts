/** Waiting for a peer started by a test to listen on its loopback port. */
import { connect } from 'node:net';

/** Resolves once `port` accepts; rejects at once when `exited()` says the peer died (bad config, port taken). */
export function waitForPort(name: string, port: number, timeoutMs: number, exited: () => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (exited()) reject(new Error(`${name} exited before listening`));
        else if (Date.now() > until) reject(new Error(`${name} did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}
