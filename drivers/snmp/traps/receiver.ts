/**
 * The site's SNMP notification receiver (`snmpTraps:`): v1/v2c traps, v3 traps and informs on one
 * UDP socket. net-snmp checks the community or the v3 user (its digest and decryption) and
 * acknowledges informs; this file decides what a notification that passed means: from which
 * configured device (by sender address), which of its trap rules (by snmpTrapOID), one
 * `snmp.trap` event, and the rule's `set` values pushed to the device's points at once.
 * Everything else is counted and dropped; nothing a sender puts on the wire may throw out of here.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import snmp from 'net-snmp';
import { createRepeatLimiter } from '../../../core/log-rate-limit.js';
import { GatewayError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { SnmpV3Auth } from '../device.js';
import { eventVarbinds, notificationOid, type ReceivedPdu } from './trap-pdu.js';
import { createTrapRateLimit } from './trap-rate.js';
import { normalizeAddress, resolveTrapSources } from './trap-sources.js';
import { createTrapStats, type DropReason } from './trap-stats.js';
import type { StartTrapReceiver } from './types.js';

/** net-snmp's PduType values for the kinds of notification */
const PDU_TRAP_V1 = 164;
const PDU_INFORM = 166;
/** ResponseInvalidCode: the v3 digest did not match / the PDU did not decrypt (wrong keys) */
const AUTH_FAILURE_CODES = new Set([4, 5]);

interface ReceiverError extends Error {
  rinfo?: { address?: string };
  code?: number;
  /** ProcessingError: the parse error underneath */
  error?: Error;
}

export const startTrapReceiver: StartTrapReceiver = async ({ section, devices, drivers, appendEvent, logger: log }) => {
  const sources = await resolveTrapSources(devices);
  for (const u of sources.unresolved) {
    log.warn('SNMP trap source does not resolve: traps from this device count as unknown source', { device: u.deviceId, host: u.host, reason: u.reason });
  }
  const stats = createTrapStats();
  const rate = createTrapRateLimit(section.maxPerSecond);
  const warnDrop = createDropLog(log, section.maxPerSecond);
  let socket: dgram.Socket | undefined;
  let listening = false;

  /** Any throw while handling one datagram drops that datagram, never the receiver. */
  function guarded(listener: (...args: unknown[]) => void): (...args: unknown[]) => void {
    return (...args) => {
      const rinfo = args[1] as dgram.RemoteInfo | undefined;
      const from = rinfo ? normalizeAddress(rinfo.address) : undefined;
      // every datagram counts, also those net-snmp answers itself (v3 discovery, reports)
      stats.receivedFrom(from);
      try {
        // before net-snmp parses it: a stranger costs no BER decoding, no v3 key hashing, and
        // gets no inform acknowledgement or v3 report
        if (from === undefined || !sources.targets(from)) {
          stats.dropped('unknownSource');
          warnDrop('unknownSource', from);
          return;
        }
        // over the budget: not parsed either, and an inform goes unanswered so its sender retries
        // later (one that passes here and is refused after parsing was already acknowledged)
        if (!rate.hasRoom()) {
          stats.dropped('rate');
          warnDrop('rate', from);
          return;
        }
        listener(...args);
      } catch (err) {
        stats.dropped('invalid');
        warnDrop('invalid', from, (err as Error).message);
      }
    };
  }

  // net-snmp gives no handle on its socket and reads port 0 as "the default port" (161). Its
  // dgramModule option (documented for sessions; the receiver's listener takes it too) lets the
  // receiver bind where the section says (0 included), see when it listens, and guard the
  // message handler.
  const dgramModule = {
    createSocket(type: dgram.SocketType) {
      const s = dgram.createSocket(type);
      socket = s;
      const bind = s.bind.bind(s);
      s.bind = (() => bind(section.port, section.host)) as typeof s.bind;
      const on = s.on.bind(s);
      s.on = ((event: string, listener: (...args: unknown[]) => void) => on(event, event === 'message' ? guarded(listener) : listener)) as typeof s.on;
      return s;
    },
  };

  function onError(err: ReceiverError): void {
    const address = err.rinfo?.address;
    if (address === undefined) {
      // a socket error; before `listening` it is the bind failure, which start() reports
      if (listening) log.error('SNMP trap socket error', { error: err.message });
      return;
    }
    const from = normalizeAddress(address);
    const auth = err.name === 'RequestFailedError' || (err.name === 'ResponseInvalidError' && AUTH_FAILURE_CODES.has(err.code ?? 0));
    const reason: DropReason = auth ? 'auth' : 'invalid';
    stats.dropped(reason);
    // net-snmp's message of an auth failure names the community: it is never logged
    warnDrop(reason, from, auth ? undefined : (err.error?.message ?? err.message));
  }

  function onNotification(pdu: ReceivedPdu, address: string): void {
    const from = normalizeAddress(address);
    const targets = sources.targets(from);
    // the message handler let only configured senders through
    if (!targets) return;
    if (!rate.admit()) {
      stats.dropped('rate');
      warnDrop('rate', from);
      return;
    }
    const oid = notificationOid(pdu);
    if (oid === undefined) {
      stats.dropped('invalid');
      warnDrop('invalid', from, 'no snmpTrapOID');
      return;
    }
    const { varbinds, truncated } = eventVarbinds(pdu);
    const kind = pdu.type === PDU_INFORM ? 'inform' : 'trap';
    const version = pdu.type === PDU_TRAP_V1 ? '1' : (pdu as { scoped?: boolean }).scoped ? '3' : '2c';
    stats.accepted();
    // Devices sharing one agent address (a UPS and a PDU behind one card, or one host): the trap
    // belongs to those whose profile knows its OID; only when none does is it filed under each.
    const knowing = targets.filter((t) => t.rules.has(oid));
    for (const { index, device, rules } of knowing.length > 0 ? knowing : targets) {
      const rule = rules.get(oid);
      const data: Record<string, unknown> = { deviceId: device.id, deviceName: device.name, trap: rule?.name ?? oid, oid, varbinds, from, version, kind };
      if (rule?.severity) data.severity = rule.severity;
      if (truncated > 0) data.varbindsTruncated = truncated;
      appendEvent('snmp.trap', data);
      if (rule && Object.keys(rule.set).length > 0) {
        try {
          drivers[index]?.pushTrapValues(rule.set);
        } catch (err) {
          log.error('SNMP trap values could not be pushed', { device: device.id, trap: rule.name, error: (err as Error).message });
        }
      }
    }
  }

  const receiver = snmp.createReceiver(
    {
      // net-snmp's own port field is not used for binding (see dgramModule), only kept non-zero
      port: section.port || 162,
      address: section.host,
      transport: isIP(section.host) === 6 ? 'udp6' : 'udp4',
      dgramModule,
    },
    (error, notification) => {
      try {
        if (error) onError(error as ReceiverError);
        else onNotification(notification.pdu as ReceivedPdu, String(notification.rinfo.address));
      } catch (err) {
        stats.dropped('invalid');
        warnDrop('invalid', undefined, (err as Error).message);
      }
    },
  );
  const authorizer = receiver.getAuthorizer();
  for (const community of section.communities) authorizer.addCommunity(community.reveal());
  for (const user of section.users) authorizer.addUser(netSnmpUser(user));

  const bound = socket as dgram.Socket | undefined;
  if (!bound) throw new GatewayError('snmpTraps: net-snmp did not create its socket through dgramModule (net-snmp version?)');
  try {
    await new Promise<void>((resolve, reject) => {
      bound.once('listening', resolve);
      bound.once('error', reject);
    });
  } catch (err) {
    receiver.close();
    const hint = (err as NodeJS.ErrnoException).code === 'EACCES' ? ' (ports below 1024 need CAP_NET_BIND_SERVICE)' : '';
    throw new GatewayError(`snmpTraps: cannot listen on ${section.host}:${section.port}: ${(err as Error).message}${hint}`, { cause: err });
  }
  listening = true;
  const port = bound.address().port;
  log.info('SNMP trap receiver listening', { host: section.host, port, devices: devices.length });

  return {
    health: () => ({ port, ...stats.snapshot() }),
    async close() {
      if (!listening) return;
      listening = false;
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
      warnDrop.flush();
    },
  };
};

/** The receiver's usmUserTable entry; keys revealed here, where net-snmp needs them. */
function netSnmpUser(u: SnmpV3Auth) {
  return {
    name: u.user,
    level: snmp.SecurityLevel[u.level],
    ...(u.authProtocol && u.authKey ? { authProtocol: snmp.AuthProtocols[u.authProtocol], authKey: u.authKey.reveal() } : {}),
    ...(u.privProtocol && u.privKey ? { privProtocol: snmp.PrivProtocols[u.privProtocol], privKey: u.privKey.reveal() } : {}),
  };
}

type DropLog = ((reason: DropReason, from: string | undefined, detail?: string) => void) & { flush(): void };

const DROP_MESSAGES: Record<DropReason, string> = {
  unknownSource: 'SNMP notification from an address that is no configured device dropped',
  auth: 'SNMP notification with a wrong community, an unknown v3 user or wrong keys dropped',
  rate: 'SNMP notifications over snmpTraps.maxPerSecond dropped',
  invalid: 'unreadable SNMP packet dropped',
};

/** One warning per reason and sender a minute; the rest are counted in health (and summed in one line). */
function createDropLog(log: Logger, maxPerSecond: number): DropLog {
  const limiter = createRepeatLimiter({
    windowMs: 60_000,
    burst: 1,
    maxKeys: 1000,
    summary(_key, held, last) {
      const line = last as { msg: string; fields: Record<string, unknown> };
      log.warn(line.msg, { ...line.fields, suppressed: held });
    },
  });
  const warn = (reason: DropReason, from: string | undefined, detail?: string) => {
    const fields: Record<string, unknown> = { from: from ?? 'unknown' };
    if (reason === 'rate') fields.maxPerSecond = maxPerSecond;
    if (detail) fields.reason = detail;
    const msg = DROP_MESSAGES[reason];
    // a flood over the rate is one condition, whoever sends it
    const key = reason === 'rate' ? reason : `${reason}\u0000${from}`;
    if (limiter.admit(key, { msg, fields })) log.warn(msg, fields);
  };
  return Object.assign(warn, { flush: () => limiter.flush() });
}
