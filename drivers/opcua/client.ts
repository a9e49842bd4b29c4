/**
 * The narrow face of node-opcua the driver and `gateway browse` use: open a session (security,
 * login, trust), batched reads and browses within the server's operation limits, monitored
 * items, and one "lost" signal for every way a session can die. Our own reconnect (the sampler's
 * backoff) replaces node-opcua's, so a broken session is always closed and replaced whole.
 */
import {
  AttributeIds,
  BrowseDirection,
  type ClientSession,
  coerceNodeId,
  type DataType,
  type DataValue,
  findBasicDataType,
  MessageSecurityMode,
  type NodeId,
  OPCUAClient,
  type BrowseResult,
  type ReferenceDescription,
  SecurityPolicy,
  type StatusCode,
  UserTokenType,
  type Variant,
  VariableIds,
} from 'node-opcua';
import { DriverError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { type ErrorContext, classifyOpcuaError } from './errors.js';
import { createMonitor, type MonitorSpec, type OpcuaMonitor } from './monitor.js';
import type { OpcuaPki } from './pki.js';
import type { OpcuaConnection } from './point.js';
import { raceAbort } from './race-abort.js';

export const APPLICATION_NAME = 'FacilityGateway';

export interface OperationLimits {
  maxNodesPerRead: number;
  maxNodesPerBrowse: number;
  maxMonitoredItemsPerCall: number;
}

export interface ReadItem {
  nodeId: NodeId;
  attributeId?: number;
}

export interface OpcuaSession {
  readonly endpoint: string;
  readonly limits: OperationLimits;
  /** set once the session is unusable (connection lost, session closed by the server, ...) */
  readonly lost: DriverError | undefined;
  /** Reads in as few requests as the server's MaxNodesPerRead allows. */
  read(items: readonly ReadItem[], signal: AbortSignal): Promise<DataValue[]>;
  /**
   * The built-in type a variable's Value is written with (an enumeration is Int32), or the Bad
   * status of reading its DataType attribute (e.g. the node is no variable).
   */
  dataType(nodeId: NodeId, signal: AbortSignal): Promise<DataType | StatusCode>;
  /** Writes each item's Value attribute; one status per item (a refusal is a Bad status, not a throw). */
  write(items: readonly { nodeId: NodeId; value: Variant }[], signal: AbortSignal): Promise<StatusCode[]>;
  /** Forward hierarchical references of each node, every continuation followed. */
  browse(nodeIds: readonly NodeId[], signal: AbortSignal): Promise<ReferenceDescription[][]>;
  /** One subscription with the given monitored items; changes reach `onChanges` in batches. */
  monitor(
    specs: readonly MonitorSpec[],
    publishingIntervalMs: number,
    onChanges: (changes: ReadonlyArray<readonly [index: number, value: DataValue]>) => void,
    signal: AbortSignal,
  ): Promise<OpcuaMonitor>;
  onLost(listener: (err: DriverError) => void): void;
  /** Closes the session on the server (best effort, bounded) and the connection. Idempotent. */
  close(): Promise<void>;
  /** After close(): the session the server may still hold (it was lost, not closed); pass it as `retire` to the next open. */
  orphan(): ClientSession | undefined;
}

export interface OpenSessionOptions {
  deviceId: string;
  connection: OpcuaConnection;
  pki: OpcuaPki;
  logger: Logger;
  /** a session lost with its connection, to close on the server once we are connected again */
  retire?: ClientSession;
}

const DEFAULT_LIMIT = 1000;
const CLOSE_TIMEOUT_MS = 2000;

function securityModeOf(mode: OpcuaConnection['securityMode']): MessageSecurityMode {
  return mode === 'None' ? MessageSecurityMode.None : mode === 'Sign' ? MessageSecurityMode.Sign : MessageSecurityMode.SignAndEncrypt;
}

function createClient(connection: OpcuaConnection, pki: OpcuaPki, securityMode = securityModeOf(connection.securityMode)): OPCUAClient {
  return OPCUAClient.create({
    applicationName: APPLICATION_NAME,
    securityMode,
    securityPolicy: securityMode === MessageSecurityMode.None ? SecurityPolicy.None : SecurityPolicy[connection.securityPolicy],
    clientCertificateManager: pki.certificateManager,
    endpointMustExist: false,
    // node-opcua's own reconnection stays off: the sampler backs off and we rebuild the session.
    connectionStrategy: { maxRetry: 0, initialDelay: 500, maxDelay: 1000 },
    requestedSessionTimeout: connection.sessionTimeoutMs,
    // We close live sessions ourselves; a session cut off by a network loss is kept so the next
    // connection can re-activate and close it (see retireSession) instead of leaving it on the server.
    keepPendingSessionsOnDisconnect: true,
    // Also keeps an idle polled session from timing out on the server between long polls.
    keepSessionAlive: true,
  });
}

export function errorContext(deviceId: string, connection: OpcuaConnection, pki: OpcuaPki): ErrorContext {
  const ctx: ErrorContext = {
    deviceId,
    endpoint: connection.endpoint,
    pkiDir: pki.rootDir,
    securityMode: connection.securityMode,
    securityPolicy: connection.securityPolicy,
  };
  if (connection.username) ctx.username = connection.username;
  return ctx;
}

/** The server's certificate for our security mode and policy, fetched over an unsecured discovery channel. */
async function fetchServerCertificate(connection: OpcuaConnection, pki: OpcuaPki, signal: AbortSignal): Promise<Buffer> {
  const client = createClient(connection, pki, MessageSecurityMode.None);
  try {
    await raceAbort(client.connect(connection.endpoint), signal);
    const endpoints = await raceAbort(client.getEndpoints(), signal);
    const mode = securityModeOf(connection.securityMode);
    const uri = SecurityPolicy[connection.securityPolicy];
    const match = endpoints.find((e) => e.securityMode === mode && e.securityPolicyUri === uri) ?? endpoints.find((e) => e.serverCertificate);
    if (!match?.serverCertificate) throw new Error(`${connection.endpoint} sent no certificate`);
    return match.serverCertificate;
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}

async function connectClient(options: OpenSessionOptions, signal: AbortSignal): Promise<OPCUAClient> {
  const { connection, pki, deviceId, logger } = options;
  const attempt = async () => {
    const client = createClient(connection, pki);
    try {
      await raceAbort(client.connect(connection.endpoint), signal);
      return client;
    } catch (err) {
      await client.disconnect().catch(() => undefined);
      throw err;
    }
  };
  await pki.refreshIfRefused();
  try {
    return await attempt();
  } catch (err) {
    const untrusted = /server Certificate verification failed/i.test(String((err as Error)?.message));
    if (untrusted) pki.noteRefused();
    if (!untrusted || !connection.trustOnFirstUse || pki.pinnedThumbprint(deviceId) !== undefined) throw err;
    // First contact of an opted-in device: pin what the server presents now; a later change of
    // certificate is refused like any untrusted one.
    const certificate = await fetchServerCertificate(connection, pki, signal);
    const thumbprint = await pki.trustOnFirstUse(deviceId, connection.endpoint, certificate);
    logger.warn('trusted the server certificate on first use', { endpoint: connection.endpoint, thumbprint });
    return attempt();
  }
}

/**
 * A network loss leaves our old session alive on the server until its timeout; reconnecting
 * repeatedly would pile them up until the server answers BadTooManySessions. The old session is
 * moved to the new connection (ActivateSession) and closed there. After a server restart it no
 * longer exists, and that is fine too.
 */
async function retireSession(client: OPCUAClient, old: ClientSession, timeoutMs: number, logger: Logger): Promise<void> {
  const bound = () => AbortSignal.timeout(timeoutMs);
  try {
    await raceAbort(client.reactivateSession(old), bound());
    await raceAbort(old.close(true), bound());
    logger.debug('closed the session left by the lost connection');
  } catch (err) {
    logger.debug('the previous session is gone', { error: (err as Error).message });
  }
}

async function readLimits(session: ClientSession): Promise<OperationLimits> {
  const ids = [
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall,
  ];
  const values = await session.read(ids.map((i) => ({ nodeId: coerceNodeId(i), attributeId: AttributeIds.Value })));
  // 0 or missing means "no limit stated": stay at a size every server we know accepts.
  const limit = (i: number) => {
    const v = values[i]?.statusCode.isGood() ? Number(values[i]!.value.value) : 0;
    return v > 0 ? v : DEFAULT_LIMIT;
  };
  return { maxNodesPerRead: limit(0), maxNodesPerBrowse: limit(1), maxMonitoredItemsPerCall: limit(2) };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Connects, logs in and reads the server's operation limits. Throws a classified DriverError. */
export async function openOpcuaSession(options: OpenSessionOptions, signal: AbortSignal): Promise<OpcuaSession> {
  const { connection, pki, deviceId } = options;
  const ctx = errorContext(deviceId, connection, pki);
  signal.throwIfAborted();
  await pki.initialize();
  let client: OPCUAClient | undefined;
  let session: ClientSession | undefined;
  try {
    client = await connectClient(options, signal);
    if (options.retire) await retireSession(client, options.retire, connection.timeoutMs, options.logger);
    const identity =
      connection.username !== undefined
        ? { type: UserTokenType.UserName as const, userName: connection.username, password: connection.password?.reveal() ?? '' }
        : { type: UserTokenType.Anonymous as const };
    session = await raceAbort(client.createSession(identity), signal, (late) => void late.close().catch(() => undefined));
    const limits = await raceAbort(readLimits(session), signal);
    return wrapSession(client, session, limits, ctx, connection.timeoutMs);
  } catch (err) {
    await session?.close().catch(() => undefined);
    await client?.disconnect().catch(() => undefined);
    if (signal.aborted && err === signal.reason) throw err;
    throw classifyOpcuaError(err, ctx);
  }
}

function wrapSession(
  client: OPCUAClient,
  session: ClientSession,
  limits: OperationLimits,
  ctx: ErrorContext,
  timeoutMs: number,
): OpcuaSession {
  const listeners = new Set<(err: DriverError) => void>();
  const monitors: OpcuaMonitor[] = [];
  let lost: DriverError | undefined;
  let closing: Promise<void> | undefined;
  let orphan: ClientSession | undefined;
  const markLost = (message: string, reason = 'comm') => {
    if (lost || closing) return;
    lost = new DriverError(`${ctx.deviceId}: ${ctx.endpoint}: ${message}`, ctx.deviceId, reason, true);
    for (const listener of listeners) listener(lost);
  };
  client.on('connection_lost', () => markLost('connection lost'));
  client.on('close', (err?: Error | null) => {
    if (err) markLost(`connection closed (${err.message})`);
  });
  session.on('session_closed', (status) => markLost(`the server closed the session (${status?.name ?? 'unknown'})`));
  session.on('keepalive_failure', () => markLost('the server stopped answering keep-alives', 'timeout'));

  const guard = async <T>(work: () => Promise<T>, signal: AbortSignal, limitMs = timeoutMs): Promise<T> => {
    signal.throwIfAborted();
    if (lost) throw lost;
    if (closing) throw new DriverError(`${ctx.deviceId}: the session is closed`, ctx.deviceId, 'comm', true);
    // Each call is bounded by the connection's timeout as well as the caller's signal.
    const timeout = AbortSignal.timeout(limitMs);
    try {
      return await raceAbort(work(), AbortSignal.any([signal, timeout]));
    } catch (err) {
      if (signal.aborted && err === signal.reason) throw err;
      const failure =
        timeout.aborted && err === timeout.reason
          ? new DriverError(`${ctx.deviceId}: ${ctx.endpoint}: no answer within ${limitMs} ms`, ctx.deviceId, 'timeout', true)
          : classifyOpcuaError(err, ctx);
      // A request that failed on the wire leaves the channel in an unknown state.
      markLost(failure.message.replace(`${ctx.deviceId}: ${ctx.endpoint}: `, ''), failure.reason);
      throw failure;
    }
  };

  return {
    endpoint: ctx.endpoint,
    limits,
    get lost() {
      return lost;
    },
    read(items, signal) {
      return guard(async () => {
        const parts = chunks(items, limits.maxNodesPerRead);
        const results: DataValue[] = [];
        for (const part of parts) {
          results.push(...(await session.read(part.map((i) => ({ nodeId: i.nodeId, attributeId: i.attributeId ?? AttributeIds.Value })))));
        }
        return results;
      }, signal);
    },
    async dataType(nodeId, signal) {
      // Read and browse inside the guard, judge outside it: a Bad attribute status is the node's
      // answer, not a broken channel, so it must not mark the session lost.
      const [dv] = await guard(() => session.read([{ nodeId, attributeId: AttributeIds.DataType }]), signal);
      if (!dv?.statusCode.isGood()) return dv!.statusCode;
      const id = dv.value.value as NodeId;
      return guard(() => findBasicDataType(session, id), signal);
    },
    write(items, signal) {
      return guard(() => session.write(items.map((i) => ({ nodeId: i.nodeId, attributeId: AttributeIds.Value, value: { value: i.value } }))), signal);
    },
    browse(nodeIds, signal) {
      return guard(async () => {
        const out: ReferenceDescription[][] = [];
        for (const part of chunks(nodeIds, limits.maxNodesPerBrowse)) {
          const results = await session.browse(
            part.map((nodeId) => ({
              nodeId,
              browseDirection: BrowseDirection.Forward,
              referenceTypeId: 'HierarchicalReferences',
              includeSubtypes: true,
              resultMask: 0x3f,
            })),
          );
          for (const result of results) {
            const refs = [...(result.references ?? [])];
            let continuation: Buffer | null = result.continuationPoint ?? null;
            while (continuation && continuation.length > 0) {
              const [next]: BrowseResult[] = await session.browseNext([continuation], false);
              refs.push(...(next?.references ?? []));
              continuation = next?.continuationPoint ?? null;
            }
            out.push(refs);
          }
        }
        return out;
      }, signal);
    },
    monitor(specs, publishingIntervalMs, onChanges, signal) {
      return guard(async () => {
        const monitor = await createMonitor(session, specs, {
          publishingIntervalMs,
          maxItemsPerCall: limits.maxMonitoredItemsPerCall,
          onChanges,
          onFailure: (why) => markLost(why),
        });
        monitors.push(monitor);
        return monitor;
        // one call per item group: allow each its own timeout
      }, signal, timeoutMs * (1 + Math.ceil(specs.length / limits.maxMonitoredItemsPerCall)));
    },
    onLost(listener) {
      listeners.add(listener);
    },
    close() {
      closing ??= (async () => {
        const bounded = <T>(p: Promise<T>) => raceAbort(p, AbortSignal.timeout(CLOSE_TIMEOUT_MS)).catch(() => undefined);
        // A live session is closed on the server (deleting its subscriptions), so reconnects never
        // pile up sessions there; a dead one is left to the server's session timeout.
        if (!lost) {
          for (const m of monitors) await bounded(m.close());
          await bounded(session.close(true));
        } else {
          orphan = session;
        }
        await bounded(client.disconnect());
      })();
      return closing;
    },
    orphan: () => orphan,
  };
}
