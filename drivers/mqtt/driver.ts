/**
 * The MQTT ingest driver: a push source. Values go to the store as they arrive (subscribe); the
 * sampler's periodic read() is the health check — it fails while the broker connection is down
 * and otherwise returns the last-value cache. A point with a `command` is writable: write() publishes
 * the command on the device's connection; the device's next report on the point's topic is the read-back.
 */
import type { Driver, PushSource, Writable } from '../../core/driver.js';
import { DriverError, errorMessage } from '../../core/errors.js';
import type { Sample } from '../../core/types.js';
import { CommandRefusal, rawCommandValue, renderCommandPayload } from './command.js';
import type { MqttIngest } from './ingest.js';
import type { MqttDeviceLike } from './point.js';

export interface MqttDriverOptions {
  /** shared by every MQTT device of the gateway */
  ingest: MqttIngest;
}

export function createMqttDriver(device: MqttDeviceLike, options: MqttDriverOptions): Driver & PushSource & Writable {
  const channel = options.ingest.channel(device.id);
  const link = options.ingest.linkOf(device.id);
  let joined = false;
  let closed = false;

  const fail = (message: string, cause?: unknown) =>
    new DriverError(`${device.id}: ${message}`, device.id, 'comm', true, cause === undefined ? undefined : { cause });

  return {
    deviceId: device.id,
    linkId: link.link,
    async connect(signal) {
      signal.throwIfAborted();
      if (closed) throw new DriverError(`${device.id}: the driver is closed`, device.id, 'comm', false);
      joined = true;
      try {
        await link.acquire(device.id, signal);
      } catch (err) {
        if (signal.aborted && err === signal.reason) throw err;
        throw fail(errorMessage(err), err);
      }
    },
    async read(signal) {
      signal.throwIfAborted();
      if (closed) throw new DriverError(`${device.id}: the driver is closed`, device.id, 'comm', false);
      if (!joined) throw fail('not connected');
      if (!link.isUp()) throw fail('no connection to the MQTT broker');
      return channel.current();
    },
    async write(pointId, value, signal) {
      signal.throwIfAborted();
      const point = device.points.find((p) => p.id === pointId);
      const refuse = (message: string, reason: string) => new DriverError(`${device.id}: ${point?.key ?? pointId}: ${message}`, device.id, reason, false);
      if (!point?.command) throw refuse(point ? 'the point has no command topic' : 'no such point on this device', 'config');
      if (closed) throw new DriverError(`${device.id}: the driver is closed`, device.id, 'comm', false);
      if (!joined || !link.isUp()) throw fail('no connection to the MQTT broker');
      let payload: string;
      try {
        payload = renderCommandPayload(point.command.payload, rawCommandValue(point, value));
      } catch (err) {
        if (err instanceof CommandRefusal) throw refuse(`not published: ${err.message}`, 'wrong-type');
        throw err;
      }
      try {
        await link.publish(point.command.topic, Buffer.from(payload, 'utf8'), signal);
      } catch (err) {
        if (signal.aborted && err === signal.reason) throw err;
        throw fail(`publishing the command failed: ${errorMessage(err)}`, err);
      }
    },
    subscribe(sink: (samples: Sample[]) => void) {
      return channel.listen(sink);
    },
    async reset() {
      // The connection reconnects by itself; the device stays on it so nothing published
      // meanwhile is lost (the channel holds samples until the sampler listens again).
    },
    async close() {
      if (closed) return;
      closed = true;
      channel.stop();
      if (joined) await link.release(device.id);
    },
  };
}
