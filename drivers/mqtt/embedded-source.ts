/** Messages from the gateway's own broker, in-process: no socket, no serialisation. */
import type { EmbeddedBroker } from './embedded-broker.js';
import type { IncomingMessage, MessageSource, SourceStatus } from './message-source.js';

export const EMBEDDED_LINK = 'embedded';

export function createEmbeddedSource(broker: Pick<EmbeddedBroker, 'subscribe' | 'isRunning'> & Partial<Pick<EmbeddedBroker, 'publish'>>): MessageSource {
  let opening: Promise<void> | undefined;
  let unsubscribes: Array<() => Promise<void>> = [];
  let messages = 0;
  let connects = 0;
  let closed = false;
  return {
    link: EMBEDDED_LINK,
    open(filters, onMessage, signal) {
      signal.throwIfAborted();
      opening ??= (async () => {
        const deliver = (m: IncomingMessage) => {
          messages += 1;
          onMessage(m);
        };
        for (const filter of filters) unsubscribes.push(await broker.subscribe(filter, deliver));
        connects += 1;
      })();
      // a failed open is not kept: the next connect tries again
      opening.catch(() => {
        opening = undefined;
      });
      return opening;
    },
    isUp: () => !closed && opening !== undefined && broker.isRunning(),
    async publish(topic, payload, signal) {
      signal.throwIfAborted();
      if (closed || !broker.isRunning() || !broker.publish) throw new Error('the embedded broker is not running');
      await broker.publish(topic, payload, { qos: 1, retain: false });
    },
    status(): SourceStatus {
      const connected = !closed && connects > 0 && broker.isRunning();
      return { link: EMBEDDED_LINK, connected, connects, disconnects: 0, lastError: broker.isRunning() ? null : 'broker stopped', messages };
    },
    async close() {
      closed = true;
      const list = unsubscribes;
      unsubscribes = [];
      if (broker.isRunning()) await Promise.all(list.map((u) => u()));
    },
  };
}
