/**
 * Devices on the same physical link (a serial bus, one TCP connection to a gateway) share one
 * client. Opening is single-flight, so devices connecting together make one attempt; the link
 * closes when its last device lets go.
 */
import { setMaxListeners } from 'node:events';
import type { ModbusConnection } from './device.js';
import { DriverError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { describeLink, type ModbusClient, type OpenModbusClient, openModbusClient } from './client.js';

export interface ModbusLinkPool {
  /**
   * Joins the device to the link its connection names and returns the link's open client,
   * opening it if needed. Throws DriverError (retryable false when the device's serial settings
   * contradict another device's on the same port).
   */
  acquire(deviceId: string, connection: ModbusConnection, signal: AbortSignal): Promise<ModbusClient>;
  /** The device lets go of the link; the last one out closes it. */
  release(deviceId: string, linkId: string): Promise<void>;
  /** Drops a link that failed, so the next acquire() opens it afresh. */
  markBroken(linkId: string, client: ModbusClient): void;
  /** How many devices hold the link. */
  holders(linkId: string): number;
  /** The link's client if it is open now (another device may have reopened it). */
  current(linkId: string): ModbusClient | undefined;
  /** Closes every link. */
  close(): Promise<void>;
}

export interface ModbusLinkPoolOptions {
  logger?: Logger;
  /** how a link is opened (tests pass a fake) */
  open?: OpenModbusClient;
}

/** `tcp://host:port`, `rtu-over-tcp://host:port` or `rtu:<serialPort>`. */
export function linkIdOf(connection: ModbusConnection): string {
  if (connection.transport === 'rtu') return `rtu:${connection.serialPort}`;
  return `${connection.transport}://${connection.host.toLowerCase()}:${connection.port}`;
}

interface LinkEntry {
  linkId: string;
  /** the first holder's settings: everyone else on a serial port must match them */
  connection: ModbusConnection;
  holders: Set<string>;
  client?: ModbusClient;
  opening?: Promise<ModbusClient>;
}

export function createModbusLinkPool(options: ModbusLinkPoolOptions = {}): ModbusLinkPool {
  const open = options.open ?? openModbusClient;
  const logger = options.logger;
  const entries = new Map<string, LinkEntry>();
  // Aborts opens still running when the pool closes; a shared open outlives any one caller.
  const lifetime = new AbortController();
  // Every link opening at start-up listens on this one signal; a site has many links.
  setMaxListeners(0, lifetime.signal);

  const dropClient = (entry: LinkEntry, client: ModbusClient) => {
    if (entry.client !== client) return;
    entry.client = undefined;
    void client.close().catch(() => undefined);
  };

  const startOpen = (entry: LinkEntry): Promise<ModbusClient> => {
    const attempt = open(entry.connection, {
      timeoutMs: entry.connection.timeoutMs,
      signal: lifetime.signal,
      ...(logger ? { logger: logger.child({ link: entry.linkId }) } : {}),
    }).then(
      (client) => {
        entry.opening = undefined;
        if (entries.get(entry.linkId) !== entry) {
          // every holder let go while the link was opening
          void client.close().catch(() => undefined);
          throw new Error('the link was released while it opened');
        }
        entry.client = client;
        client.onClose?.((cause) => {
          if (entry.client !== client) return;
          entry.client = undefined;
          logger?.debug('modbus link closed', { link: entry.linkId, error: cause ? errorMessage(cause) : undefined });
        });
        logger?.debug('modbus link open', { link: entry.linkId, devices: entry.holders.size });
        return client;
      },
      (err: unknown) => {
        entry.opening = undefined;
        throw err;
      },
    );
    // Callers may all have given up waiting; the attempt must never reject unheard.
    attempt.catch(() => undefined);
    return attempt;
  };

  const removeHolder = async (deviceId: string, entry: LinkEntry) => {
    entry.holders.delete(deviceId);
    if (entry.holders.size > 0 || entries.get(entry.linkId) !== entry) return;
    entries.delete(entry.linkId);
    const client = entry.client;
    entry.client = undefined;
    if (client) {
      await client.close().catch(() => undefined);
      logger?.debug('modbus link closed (no device left)', { link: entry.linkId });
    }
  };

  return {
    async acquire(deviceId, connection, signal) {
      signal.throwIfAborted();
      if (lifetime.signal.aborted) throw new DriverError('the Modbus link pool is closed', deviceId, 'comm');
      const linkId = linkIdOf(connection);
      let entry = entries.get(linkId);
      if (entry === undefined) {
        entry = { linkId, connection, holders: new Set() };
        entries.set(linkId, entry);
      } else {
        const conflict = serialConflict(entry.connection, connection);
        const others = [...entry.holders].filter((id) => id !== deviceId);
        if (conflict && others.length > 0) {
          throw new DriverError(
            `${deviceId}: ${describeLink(connection)} is shared with ${others.join(', ')}, which use ${conflict}`,
            deviceId,
            'config',
            false,
          );
        }
        if (conflict) {
          entry.connection = connection;
          if (entry.client) dropClient(entry, entry.client);
        }
      }
      entry.holders.add(deviceId);

      if (entry.client?.isOpen) return entry.client;
      if (entry.client) dropClient(entry, entry.client);
      entry.opening ??= startOpen(entry);
      try {
        return await abortable(entry.opening, signal);
      } catch (err) {
        await removeHolder(deviceId, entry);
        if (signal.aborted && err === signal.reason) throw err;
        const timedOut = (err as { fault?: string }).fault === 'timeout';
        const reason = timedOut ? 'timeout' : 'comm';
        throw new DriverError(`${deviceId}: ${errorMessage(err)}`, deviceId, reason, true, { cause: err });
      }
    },

    async release(deviceId, linkId) {
      const entry = entries.get(linkId);
      if (entry) await removeHolder(deviceId, entry);
    },

    markBroken(linkId, client) {
      const entry = entries.get(linkId);
      if (entry) dropClient(entry, client);
      else void client.close().catch(() => undefined);
    },

    holders: (linkId) => entries.get(linkId)?.holders.size ?? 0,

    current(linkId) {
      const client = entries.get(linkId)?.client;
      return client?.isOpen ? client : undefined;
    },

    async close() {
      lifetime.abort(new Error('the Modbus link pool closed'));
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map((entry) => entry.client?.close().catch(() => undefined)));
    },
  };
}

/** Serial settings are the bus's, not a device's: two devices cannot disagree on them. */
function serialConflict(a: ModbusConnection, b: ModbusConnection): string | undefined {
  if (a.transport !== 'rtu' || b.transport !== 'rtu') return undefined;
  const diff: string[] = [];
  if (a.baudRate !== b.baudRate) diff.push(`baudRate ${a.baudRate}`);
  if (a.parity !== b.parity) diff.push(`parity ${a.parity}`);
  if (a.dataBits !== b.dataBits) diff.push(`dataBits ${a.dataBits}`);
  if (a.stopBits !== b.stopBits) diff.push(`stopBits ${a.stopBits}`);
  return diff.length > 0 ? diff.join(', ') : undefined;
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
