/**
 * An OPC UA device's driver while node-opcua is not loaded yet. node-opcua takes 0.6–1 s of CPU
 * to load; the module hands the sampler these stand-ins at once, so the gateway's page and every
 * other device start without waiting for it. The first connect() loads the library (the sampler
 * connects only after the page is up) and from then on every call goes to the real driver.
 *
 * Until the real driver is connected, the device stays `connecting` in health, which is the truth:
 * it is not up. A library that fails to load fails every connect() with its error, so the device
 * goes `down` with that error as its last error.
 */
import type { Driver, PushSource, Writable } from '../../core/driver.js';
import { DriverError, errorMessage } from '../../core/errors.js';
import type { Sample } from '../../core/types.js';
import type { OpcuaDeviceConfig } from './device.js';
import { raceAbort } from './race-abort.js';

export type OpcuaDriver = Driver & Writable & Partial<PushSource>;

/** Makes the device's real driver; rejects when the library cannot be loaded. */
export type CreateOpcuaDriver = () => Promise<OpcuaDriver>;

export function createLoadingDriver(device: Pick<OpcuaDeviceConfig, 'id' | 'mode'>, create: CreateOpcuaDriver): OpcuaDriver {
  let loading: Promise<OpcuaDriver> | undefined;
  let real: OpcuaDriver | undefined;
  let closed = false;

  const load = () => {
    loading ??= create().then((driver) => {
      real = driver;
      return driver;
    });
    return loading;
  };

  const notConnected = () => new DriverError(`${device.id}: not connected (the OPC UA driver is still loading)`, device.id, 'comm');

  const driver: OpcuaDriver = {
    deviceId: device.id,
    // the real driver's link: one session per device (driver.ts), so the link lock sees one link either way
    linkId: `opcua:${device.id}`,

    async connect(signal) {
      signal.throwIfAborted();
      let target: OpcuaDriver;
      try {
        target = await raceAbort(load(), signal);
      } catch (err) {
        if (signal.aborted) throw err;
        throw new DriverError(`${device.id}: the OPC UA driver could not be loaded: ${errorMessage(err)}`, device.id, 'comm', true, { cause: err });
      }
      if (closed) throw new DriverError(`${device.id}: the driver is closed`, device.id, 'comm');
      await target.connect(signal);
    },

    async read(signal): Promise<Sample[]> {
      if (!real) throw notConnected();
      return real.read(signal);
    },

    async reset() {
      await real?.reset();
    },

    async write(pointId, value, signal) {
      if (!real) throw notConnected();
      await real.write(pointId, value, signal);
    },

    async close() {
      closed = true;
      // a load still under way ends in a driver that must be closed too (its session, its timers)
      const target = real ?? (await loading?.catch(() => undefined));
      await target?.close();
    },
  };
  // The sampler asks once whether a driver pushes: answer as the real one will (subscribe mode).
  if (device.mode === 'subscribe') {
    driver.subscribe = (sink) => {
      if (!real?.subscribe) throw notConnected();
      return real.subscribe(sink);
    };
  }
  return driver;
}
