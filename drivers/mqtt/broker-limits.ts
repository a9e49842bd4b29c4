/**
 * The embedded broker's size and count limits, with their defaults, in one place (config
 * schema, broker and docs/security.md agree on them). Dependency-free: the config schema reads it.
 */

/** the ingest's per-device payload limit when a device gives none */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

/** room beside the payload for the topic, packet id and fixed header */
export const TOPIC_HEADROOM_BYTES = 4096;

export const DEFAULT_BROKER_LIMITS = {
  /** open connections, logged in or not */
  maxConnections: 200,
  /** per client address: one host cannot take every slot */
  maxConnectionsPerAddress: 20,
  /** MQTT 3.1.1 requires at least 23; longer ids are common (uuids, name-mac) */
  maxClientIdLength: 128,
  /** before login only a CONNECT comes: credentials, clientId and a small will */
  maxConnectBytes: 8 * 1024,
} as const;

/** The largest packet after login when the config gives none: the largest device payload limit plus headroom. */
export function defaultMaxPacketBytes(payloadLimits: readonly number[] = []): number {
  return Math.max(DEFAULT_MAX_PAYLOAD_BYTES, ...payloadLimits) + TOPIC_HEADROOM_BYTES;
}
