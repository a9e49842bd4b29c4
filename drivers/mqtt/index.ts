export { type AuthResult, type BrokerAccess, createBrokerAccess, filterCovers } from './broker-auth.js';
export {
  DEFAULT_EXPECTED_INTERVAL_MS,
  DEFAULT_MAX_PAYLOAD_BYTES,
  mqttBrokerSchema,
  mqttConfigPlugin,
  mqttDeviceShape,
  mqttPointInputSchema,
  STALE_AFTER_INTERVALS,
} from './config-schema.js';
export { type ClientThrottle, type ClientThrottleOptions, createClientThrottle, DEFAULT_MAX_PER_TURN } from './client-throttle.js';
export { createDeviceChannel, type DeviceChannel } from './device-channel.js';
export { createMqttDriver, type MqttDriverOptions } from './driver.js';
export { type BrokerMessage, type BrokerStats, type EmbeddedBroker, type EmbeddedBrokerOptions, startEmbeddedBroker } from './embedded-broker.js';
export { createEmbeddedSource, EMBEDDED_LINK } from './embedded-source.js';
export { createExternalSource, describeBrokerUrl, type ExternalSourceOptions } from './external-source.js';
export { createMqttIngest, defaultClientId, type MqttIngest, type MqttIngestHealth, type MqttIngestOptions, type MqttLink } from './ingest.js';
export { createIngestStats, type IngestCounters, type IngestStats } from './ingest-stats.js';
export type { IncomingMessage, MessageSource, SourceStatus } from './message-source.js';
export {
  BAD_INPUT_REASONS,
  type BadInputReason,
  type DecodedMessage,
  decodeMessage,
  extractTimestamp,
  extractValue,
  parseJsonPath,
  type ValueRule,
  valueRuleOf,
} from './payload.js';
export { DEFAULT_SCRYPT, hashPassword, isPasswordHash, parsePasswordHash, type ScryptParams, verifyPassword } from './password.js';
export * from './point.js';
export { mqttMetricFamilies } from './metrics.js';
export { createRateLimitedLog, type RateLimitedLog } from './rate-limited-log.js';
export { createTokenBucket, DEFAULT_CLIENT_RATE_LIMIT, DEFAULT_POINT_RATE_LIMIT, POINT_BURST_S, type TokenBucket } from './rate-limits.js';
export { type MqttHealth, type MqttRuntime, type MqttRuntimeOptions, startMqttRuntime } from './runtime.js';
export { fillTopicTemplate, isTopicName, mergeFilters, parseTopicTemplate, type TopicTemplate, templateFilter, topicMatches } from './topic.js';
