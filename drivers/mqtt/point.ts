/** MQTT config after load: every default resolved, every topic template filled in. */
import type { Secret } from '../../core/secret.js';
import type { WriteSpec } from '../../core/write-spec.js';

export const MQTT_VALUE_TYPES = ['number', 'boolean', 'string'] as const;
export type MqttValueType = (typeof MQTT_VALUE_TYPES)[number];

/** What a retained message (delivered on subscribe, of unknown age) is worth. */
export const RETAINED_POLICIES = ['accept', 'ignore'] as const;
export type RetainedPolicy = (typeof RETAINED_POLICIES)[number];

export interface MqttPoint {
  /** `<deviceId>.<key>` */
  id: string;
  key: string;
  name: string;
  unit?: string;
  /** the concrete topic this point's values arrive on */
  topic: string;
  /** the subscription filter the topic came from (named segments as `+`), shared by many points */
  filter: string;
  /** where the value sits in a JSON payload (`temperature`, `data.rh`, `values[0]`); none: the whole payload */
  path?: string;
  type: MqttValueType;
  /** value = raw × scale + offset (numbers) */
  scale?: number;
  offset?: number;
  /** no message for this long → one bad/`stale` sample; 0: never stale (publishes only on change) */
  staleAfterMs: number;
  /** present only when the point may be written (issue 14) */
  write?: WriteSpec;
  /** where a write goes: the concrete command topic and the payload template (`{value}`) */
  command?: MqttCommand;
}

/** An MQTT point's write route (see command.ts for the payload template). */
export interface MqttCommand {
  topic: string;
  payload: string;
}

export interface MqttConnection {
  /** `mqtt://host:1883` or `mqtts://host:8883` */
  url: string;
  username?: string;
  password?: Secret;
  /** CA certificate file for mqtts (relative to the config file) */
  ca?: string;
  /** a stable id, so the broker keeps the session (and queues QoS 1 messages) across restarts */
  clientId?: string;
  keepaliveS: number;
  connectTimeoutMs: number;
}

/** A device's MQTT settings (config/types.ts adds the fields every device has). */
export interface MqttDeviceSettings {
  driver: 'mqtt';
  /** none: the gateway's embedded broker, in-process */
  connection?: MqttConnection;
  /** JSON field holding the measurement time (ISO 8601 or epoch s/ms); none: arrival time */
  timestampPath?: string;
  /** payloads larger than this are refused unread */
  maxPayloadBytes: number;
  retained: RetainedPolicy;
  /** messages per second each point (its topic) may bring; beyond it they are refused unread. 0 or absent: no limit */
  pointRateLimit?: number;
  points: MqttPoint[];
}

export interface MqttBrokerUser {
  username: string;
  /** `scrypt$...` (from `gateway mqtt-passwd`) or, from `${ENV}`, the password itself */
  password: { hash: string } | { secret: Secret };
  /** topic filters this user may publish to (`+`, `#` wildcards; `%u` is the username) */
  publish: string[];
  /** topic filters this user may subscribe to (none by default: sensors only publish) */
  subscribe: string[];
}

export interface MqttBrokerSection {
  enabled: boolean;
  host: string;
  /** plain MQTT listener; 0 asks the OS for a free port (tests) */
  port: number;
  allowAnonymous: boolean;
  /** what an anonymous client may publish to, when allowed */
  anonymousPublish: string[];
  tls?: { port: number; cert: string; key: string };
  users: MqttBrokerUser[];
  /** open connections at most, in total and per client address (defaults in embedded-broker.ts) */
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  /** longest clientId accepted */
  maxClientIdLength?: number;
  /** largest packet before login (the CONNECT) */
  maxConnectBytes?: number;
  /** largest packet after login; absent: the devices' largest maxPayloadBytes plus topic headroom */
  maxPacketBytes?: number;
  /** password-guessing backoff per address and per username */
  loginBackoff?: { afterFailures: number; initialDelayMs: number; maxDelayMs: number };
  /** publishes per second one client may make before the broker holds it back; 0 or absent: no limit */
  clientRateLimit?: number;
}

/** What the ingest needs of a device (config/types.ts's MqttDeviceConfig has it all). */
export type MqttDeviceLike = MqttDeviceSettings & { id: string; location?: string };
