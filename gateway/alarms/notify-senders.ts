/**
 * The two ways a notification leaves the gateway: an HTTP POST of JSON, and an MQTT publish. Each
 * is a Sender: one attempt per call, throwing on failure; the notifier does queueing and retries.
 * The MQTT client library loads only when an MQTT target is configured.
 */
import type { MqttClient } from 'mqtt';
import { GatewayError } from '../../core/errors.js';
import { publicUrl } from '../../core/redact-url.js';
import type { MqttTarget, WebhookTarget } from './types.js';

export interface Notification {
  /** where an MQTT target puts it: {gatewayId}, {alarmId}, {severity}, {transition} */
  topicFields: Record<string, string>;
  body: unknown;
}

export interface Sender {
  /** where it goes, `scheme://host:port` only (a webhook's path and query are often its secret); shown in health */
  readonly name: string;
  send(n: Notification): Promise<void>;
  close(): Promise<void>;
}


export function createWebhookSender(target: WebhookTarget): Sender {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [k, v] of Object.entries(target.headers)) headers[k] = v.reveal();
  return {
    name: publicUrl(target.url),
    async send(n) {
      const res = await fetch(target.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(n.body),
        signal: AbortSignal.timeout(target.timeoutMs),
        redirect: 'error',
      });
      // The body is not needed; reading it frees the connection for keep-alive.
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new GatewayError(`HTTP ${res.status}`);
    },
    async close() {},
  };
}

export function expandTopic(template: string, fields: Record<string, string>): string {
  // MQTT wildcards and separators must not come in through a field (an alarm id has none, but be sure).
  return template.replace(/\{(\w+)\}/g, (all, key: string) => (fields[key] ?? all).replace(/[+#/]/g, '_'));
}

export function createMqttSender(target: MqttTarget, clientId: string): Sender {
  let client: MqttClient | undefined;
  let connecting: Promise<MqttClient> | undefined;
  let closed = false;

  const connect = () => {
    connecting ??= import('mqtt').then(({ connect: mqttConnect }) => {
      const c = mqttConnect(target.url, {
        clientId,
        username: target.username,
        password: target.password?.reveal(),
        reconnectPeriod: 5000,
        connectTimeout: target.timeoutMs,
        // A notification that cannot go now is the notifier's to retry, not the client's to hoard.
        queueQoSZero: false,
      });
      // Errors also surface as failed sends; without a listener they would crash the process.
      c.on('error', () => undefined);
      client = c;
      if (closed) c.end(true);
      return c;
    });
    return connecting;
  };

  return {
    name: publicUrl(target.url),
    async send(n) {
      const c = await connect();
      if (!c.connected) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            c.off('connect', onConnect);
            reject(new GatewayError('not connected to the MQTT broker'));
          }, target.timeoutMs);
          const onConnect = () => {
            clearTimeout(timer);
            resolve();
          };
          c.once('connect', onConnect);
        });
      }
      const topic = expandTopic(target.topic, n.topicFields);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new GatewayError('MQTT publish timed out')), target.timeoutMs);
      });
      try {
        await Promise.race([c.publishAsync(topic, JSON.stringify(n.body), { qos: target.qos, retain: target.retain }), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      closed = true;
      if (client) await client.endAsync(true).catch(() => undefined);
    },
  };
}
