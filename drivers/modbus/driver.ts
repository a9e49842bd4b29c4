/**
 * The Modbus driver: one per device, its read plan made once from its points. The same planner
 * and codec serve TCP, RTU and RTU over TCP; only the link (see client.ts) differs.
 */
import type { ModbusDeviceConfig } from './device.js';
import type { Driver, Writable } from '../../core/driver.js';
import type { WriteValue } from '../../core/write-spec.js';
import { DriverError, errorMessage } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { badSample, type Sample } from '../../core/types.js';
import { type BitTable, describeLink, type ModbusClient, ModbusRequestError, type RegisterTable } from './client.js';
import { type BlockDecoder, createBlockDecoder } from './block-decoder.js';
import { encodeBit, encodeRegisters } from './encode.js';
import { exceptionReason, isGatewayException } from './exceptions.js';
import { linkIdOf, type ModbusLinkPool } from './link-pool.js';
import { MAX_READ_BITS, MAX_READ_REGISTERS, planReads, type ReadRequest } from './planner.js';
import { isBitTable, type ModbusPoint, pointWidth } from './point.js';

export interface ModbusDriverOptions {
  /** shared by every Modbus device of the gateway, so devices on one link share it */
  links: ModbusLinkPool;
  logger?: Logger;
  now?: () => number;
}

const ILLEGAL_ADDRESS = 0x02;

export function createModbusDriver(device: ModbusDeviceConfig, options: ModbusDriverOptions): Driver & Writable {
  const { links } = options;
  const connection = device.connection;
  const { unitId, timeoutMs } = connection;
  const linkId = linkIdOf(connection);
  const where = describeLink(connection);
  const log = (options.logger ?? silentLogger).child({ device: device.id });
  const now = options.now ?? Date.now;

  const slot = new Map<ModbusPoint, number>();
  for (const [i, point] of device.points.entries()) slot.set(point, i);
  // A point the protocol cannot read in one request (a string without a length, or longer than
  // one request) would make the whole block fail; the loader should have caught it.
  const readable = device.points.filter((p) => {
    const width = pointWidth(p);
    return width > 0 && width <= (isBitTable(p.table) ? MAX_READ_BITS : MAX_READ_REGISTERS);
  });
  let plan = planReads(readable, {
    maxRegisters: device.maxRegisters,
    maxBits: device.maxBits,
    maxGap: device.maxGap,
  });

  // Points no request covers (see `readable`): their 'config' samples are filled in after each read.
  const covered = new Set(readable);
  const uncovered: number[] = [];
  for (const [i, point] of device.points.entries()) if (!covered.has(point)) uncovered.push(i);

  /** each request's decoder (see block-decoder.ts), made on its first reply */
  const decoders = new WeakMap<ReadRequest, BlockDecoder>();
  const slotOf = (point: ModbusPoint) => slot.get(point) as number;
  const decoderOf = (request: ReadRequest) => {
    let decoder = decoders.get(request);
    if (!decoder) {
      decoder = createBlockDecoder(request, slotOf);
      decoders.set(request, decoder);
    }
    return decoder;
  };

  let client: ModbusClient | undefined;
  let holding = false;

  const fail = (message: string, reason: string, cause?: unknown) =>
    new DriverError(`${device.id}: ${message}`, device.id, reason, true, cause === undefined ? undefined : { cause });

  const letGo = async () => {
    client = undefined;
    if (!holding) return;
    holding = false;
    await links.release(device.id, linkId);
  };

  /** The request's reply: its registers, or its bits. */
  const requestBlock = (link: ModbusClient, request: ReadRequest, signal: AbortSignal): Promise<number[] | boolean[]> =>
    isBitTable(request.table)
      ? link.readBits(unitId, request.table as BitTable, request.address, request.count, timeoutMs, signal)
      : link.readRegisters(unitId, request.table as RegisterTable, request.address, request.count, timeoutMs, signal);

  /** One request, its points' samples written into `samples` (read() has the same, inlined). */
  async function runRequest(
    link: ModbusClient,
    request: ReadRequest,
    signal: AbortSignal,
    samples: (Sample | undefined)[],
  ): Promise<void> {
    try {
      const reply = await requestBlock(link, request, signal);
      decoderOf(request).decode(reply, now(), samples);
    } catch (err) {
      await recover(link, request, signal, samples, err);
    }
  }

  /**
   * A request that failed: throws what fails the whole read, or writes the request's points as bad
   * samples; a device that refuses a merged read gets it split (remembered in the plan).
   */
  async function recover(
    link: ModbusClient,
    request: ReadRequest,
    signal: AbortSignal,
    samples: (Sample | undefined)[],
    err: unknown,
  ): Promise<void> {
    if (signal.aborted && err === signal.reason) throw err;
    if (!(err instanceof ModbusRequestError)) {
      links.markBroken(linkId, link);
      throw fail(`${where}: ${errorMessage(err)}`, 'comm', err);
    }
    const code = err.exceptionCode;
    switch (err.fault) {
      case 'timeout':
        // One silent device says nothing about a shared link. When every device on a TCP
        // connection has gone silent in a row (or it is ours alone), the connection itself is
        // suspect (half-open after a gateway reboot) and is reopened. A serial port is not:
        // reopening it cannot wake a device, and a late reply is handled by the client.
        if (connection.transport !== 'rtu' && link.timeoutsInARow >= Math.max(1, links.holders(linkId))) {
          links.markBroken(linkId, link);
        }
        throw fail(err.message, 'timeout', err);
      case 'comm':
        links.markBroken(linkId, link);
        throw fail(`${where}: ${err.message}`, 'comm', err);
      case 'exception':
        if (code !== undefined && isGatewayException(code)) throw fail(err.message, exceptionReason(code), err);
        if (code === ILLEGAL_ADDRESS) {
          const parts = splitRequest(request);
          if (parts.length > 1) {
            // Remembered: one missing register must not cost its neighbours every poll.
            plan = plan.flatMap((r) => (r === request ? parts : [r]));
            log.info('device refused a merged read; splitting it', {
              table: request.table,
              address: request.address,
              count: request.count,
            });
            for (const part of parts) await runRequest(link, part, signal, samples);
            return;
          }
        }
        break;
      case 'bad-frame':
        log.debug('bad reply frame', { error: err.message });
        break;
    }
    const ts = now();
    const reason = err.fault === 'exception' ? exceptionReason(code ?? 0) : 'bad-frame';
    for (const point of request.points) samples[slotOf(point)] = badSample(point.id, ts, reason);
  }

  const byId = new Map(device.points.map((p) => [p.id, p]));

  /** The link to use now (another device on it may have reopened it since ours broke). */
  const currentLink = (): ModbusClient => {
    if (holding && !client?.isOpen) client = links.current(linkId) ?? client;
    const link = client;
    if (link === undefined || !link.isOpen) throw fail(`not connected to ${where}`, 'comm');
    return link;
  };

  /**
   * A setpoint or command (issue 14): holding registers (FC6 for one register, FC16 for more, the
   * point's word order and scale in reverse) and coils (FC5). The caller holds the link lock.
   */
  async function write(pointId: string, value: WriteValue, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const point = byId.get(pointId);
    if (!point) throw new DriverError(`${device.id}: no point "${pointId}"`, device.id, 'not-found', false);
    if (point.table === 'input' || point.table === 'discrete' || point.bit !== undefined) {
      throw new DriverError(`${pointId}: ${point.bit !== undefined ? 'a bit of a register' : `the ${point.table} table`} cannot be written`, device.id, 'not-writable', false);
    }
    let words: number[] | undefined;
    let on = false;
    try {
      if (point.table === 'coil') on = encodeBit(point, value);
      else words = encodeRegisters(point, value);
    } catch (err) {
      // Nothing was sent: the value does not fit the register (type range, enum labels).
      throw new DriverError(errorMessage(err), device.id, 'out-of-range', false, { cause: err });
    }
    const link = currentLink();
    try {
      if (words) await link.writeRegisters(unitId, point.address, words, timeoutMs, signal);
      else await link.writeCoil(unitId, point.address, on, timeoutMs, signal);
    } catch (err) {
      if (signal.aborted && err === signal.reason) throw err;
      if (!(err instanceof ModbusRequestError)) {
        links.markBroken(linkId, link);
        throw fail(`${where}: ${errorMessage(err)}`, 'comm', err);
      }
      if (err.fault === 'comm') links.markBroken(linkId, link);
      // A refusal by the device names its exception (illegal-address, illegal-value, device-busy, ...).
      const reason = err.fault === 'exception' ? exceptionReason(err.exceptionCode ?? 0) : err.fault;
      throw fail(err.message, reason, err);
    }
  }

  return {
    deviceId: device.id,
    linkId,
    write,

    async connect(signal) {
      if (client?.isOpen && holding) return;
      client = await links.acquire(device.id, connection, signal);
      holding = true;
    },

    async read(signal) {
      signal.throwIfAborted();
      const link = currentLink();
      const points = device.points;
      const samples = new Array<Sample | undefined>(points.length);
      // The plan as it stands now: a split (see runRequest) replaces it for the next read.
      const requests = plan;
      for (let r = 0; r < requests.length; r++) {
        const request = requests[r]!;
        // runRequest's body, inlined: an async call per request cost a promise and two microtask
        // turns, a tenth of the driver's own time per read.
        try {
          const reply = await requestBlock(link, request, signal);
          decoderOf(request).decode(reply, now(), samples);
        } catch (err) {
          await recover(link, request, signal, samples, err);
        }
      }
      // Every request fills all its points, good or bad (or throws): only the uncovered are left.
      if (uncovered.length > 0) {
        const ts = now();
        for (const i of uncovered) samples[i] = badSample(points[i]!.id, ts, 'config');
      }
      return samples as Sample[];
    },

    reset: letGo,
    close: letGo,
  };
}

/**
 * Many devices refuse a read that spans unmapped registers. First drop the holes between points;
 * only a gap-free block that is still refused is read point by point.
 */
function splitRequest(request: ReadRequest): ReadRequest[] {
  const gapFree = planReads(request.points, { maxRegisters: request.count, maxBits: request.count, maxGap: 0 });
  if (gapFree.length > 1) return gapFree;
  // One request per register location, so points sharing a register (bit fields) still share.
  const parts = new Map<string, ReadRequest>();
  for (const point of request.points) {
    const count = pointWidth(point);
    const key = `${point.address}:${count}`;
    const part = parts.get(key);
    if (part) part.points.push(point);
    else parts.set(key, { table: request.table, address: point.address, count, points: [point] });
  }
  return [...parts.values()].sort((a, b) => a.address - b.address);
}
