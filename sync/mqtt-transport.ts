/**
 * MQTT push (mqtt.js 5): a stable client id with clean session off, batches published with QoS 1
 * to `<prefix>/<gatewayId>/readings|events`, and the cursor moves on PUBACK. A retained
 * `<prefix>/<gatewayId>/status` says online (with version and start time); the Last Will sets it
 * offline when the gateway vanishes.
 *
 * Reconnects are ours (exponential backoff with jitter) rather than mqtt.js's fixed period. The
 * client keeps an unacknowledged publish in its outgoing store across reconnects and resends it,
 * so a publish in flight when the broker goes away completes after it is back.
 *
 * With `commands` (control.allowEms), it also subscribes (QoS 1) to `<prefix>/<gatewayId>/commands`
 * and answers on `.../commands/result` (commands.ts). Without, it subscribes to nothing and drops a
 * commands subscription an earlier run left in the broker's persistent session.
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import mqtt, { type MqttClient } from 'mqtt';
import { backoffDelay } from '../core/backoff.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { publicUrl, scrubUrls } from '../core/redact-url.js';
import type { ControlService } from '../gateway/control/types.js';
import type { Batch } from './batch.js';
import type { CommandLog } from './command-log.js';
import { type CommandAnswer, createCommandHandler } from './commands.js';
import type { MqttTargetConfig } from './config-schema.js';
import { mqttTopics } from './topics.js';
import type { ConnectionProblem, SendOutcome, Transport } from './transport.js';

const gzip = promisify(gzipCb);
/** CONNACK codes (3.1.1) and reason codes (5) that mean the login itself is refused. */
const AUTH_CODES = new Set([4, 5, 0x86, 0x87, 0x8c]);

export interface MqttTransportOptions {
  target: MqttTargetConfig;
  gatewayId: string;
  version: string;
  startedAt: number;
  logger: Logger;
  random?: () => number;
  /** EMS commands (only when control.allowEms): the service that writes and the id log */
  commands?: { control: ControlService; log: CommandLog };
}

export function createMqttTransport(opts: MqttTransportOptions): Transport {
  const { target, gatewayId, logger } = opts;
  const random = opts.random ?? Math.random;
  const topics = mqttTopics(target.topicPrefix, gatewayId);
  const status = (state: 'online' | 'offline', reason?: string) =>
    JSON.stringify({ state, gatewayId, version: opts.version, startedAt: opts.startedAt, ...(reason ? { reason } : {}) });

  let closing = false;
  let failures = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let lastProblem: ConnectionProblem | undefined;
  const commands = opts.commands
    ? createCommandHandler({
        target: target.id,
        control: opts.commands.control,
        log: opts.commands.log,
        publish: (answer: CommandAnswer) => {
          // QoS 1 and kept in the outgoing store while offline; a lost answer is fetched again by resending the id.
          client.publish(topics.commandResults, JSON.stringify(answer), { qos: 1 }, (err) => {
            if (err && !closing) logger.warn('cannot publish a command answer', { id: answer.id, err: errorMessage(err) });
          });
        },
        logger: logger.child({ component: 'sync-commands' }),
      })
    : undefined;

  const client: MqttClient = mqtt.connect(target.url, {
    clientId: target.clientId ?? `${gatewayId}-${target.id}`,
    clean: false,
    protocolVersion: 4,
    keepalive: target.keepaliveS,
    connectTimeout: target.timeoutMs,
    reconnectPeriod: 0,
    manualConnect: true,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password.reveal() } : {}),
    will: { topic: topics.status, payload: Buffer.from(status('offline', 'connection lost')), qos: 1, retain: true },
  });

  client.on('connect', () => {
    if (failures > 0) logger.info('broker connection back', { url: publicUrl(target.url), after: failures });
    failures = 0;
    lastProblem = undefined;
    client.publish(topics.status, status('online'), { qos: 1, retain: true }, (err) => {
      if (err && !closing) logger.warn('cannot publish the online status', { err: errorMessage(err) });
    });
    // Every connect: the session may be new (broker restarted without persistence). Without
    // allowEms, unsubscribe: a persistent session keeps an earlier run's subscription otherwise.
    const done = (what: string) => (err?: Error | null) => {
      if (err && !closing) logger.warn(`cannot ${what} the commands topic`, { err: errorMessage(err) });
    };
    if (commands) client.subscribe(topics.commands, { qos: 1 }, done('subscribe to'));
    else client.unsubscribe(topics.commands, done('unsubscribe from'));
  });
  client.on('message', (topic, payload) => {
    if (topic === topics.commands && commands) commands.receive(payload);
  });
  client.on('error', (err: Error & { code?: number }) => {
    const auth = typeof err.code === 'number' && AUTH_CODES.has(err.code);
    const message = `broker ${publicUrl(target.url)}: ${scrubUrls(errorMessage(err))}`;
    if (lastProblem?.message !== message) (auth ? logger.error : logger.warn)('broker connection failed', { err: message });
    lastProblem = { message, auth, since: lastProblem?.message === message ? lastProblem.since : Date.now() };
  });
  client.on('close', () => {
    if (closing || reconnectTimer) return;
    failures++;
    lastProblem ??= { message: `broker ${publicUrl(target.url)}: connection closed`, auth: false, since: Date.now() };
    // A refused login will not pass by itself: retry it slowly.
    const policy = lastProblem.auth
      ? { initialMs: target.retryMaxMs, maxMs: target.retryMaxMs * 5 }
      : { initialMs: target.retryInitialMs, maxMs: target.retryMaxMs };
    const delay = backoffDelay(policy, failures, random);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      // Keep the stores: they hold the publishes not yet acknowledged.
      if (!closing) client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }, delay);
  });

  async function encode(batch: Batch): Promise<Buffer> {
    const raw = Buffer.from(batch.body, 'utf8');
    return target.gzip ? gzip(raw, { level: 1 }) : raw;
  }

  async function send(batch: Batch, payload: Buffer, signal: AbortSignal): Promise<SendOutcome> {
    const published = client.publishAsync(topics[batch.stream], payload, { qos: 1 });
    // Offline: the publish waits in the client's store; say why in health meanwhile.
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<'aborted'>((resolve) => {
      onAbort = () => resolve('aborted');
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const result = await Promise.race([published.then(() => 'acked' as const), aborted]);
      if (result === 'aborted') return { ok: false, kind: 'retry', message: 'stopped' };
      return { ok: true, ackSeq: batch.toSeq, wireBytes: payload.length };
    } catch (err) {
      const problem = lastProblem;
      return {
        ok: false,
        kind: problem?.auth ? 'auth' : 'retry',
        message: problem?.message ?? `publish failed: ${scrubUrls(errorMessage(err))}`,
        wireBytes: payload.length,
      };
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  return {
    start() {
      client.connect();
    },
    encode,
    send,
    connected: () => client.connected,
    ...(commands ? { commandStats: () => commands.stats() } : {}),
    problem: () => (client.connected ? undefined : lastProblem),
    async close() {
      // The command running finishes and its answer is queued before the goodbye.
      await commands?.close();
      closing = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      const within = <T>(p: Promise<T>) => Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
      if (client.connected) {
        await within(client.publishAsync(topics.status, status('offline', 'stopped'), { qos: 1, retain: true }));
        // A DISCONNECT tells the broker to discard the Will, which would overwrite "stopped".
        await within(client.endAsync(false));
      }
      await client.endAsync(true).catch(() => undefined);
    },
  };
}
