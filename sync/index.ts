export { type Batch, type BatchLimits, type BatchReader, createBatchReader, type Gap } from './batch.js';
export type { StreamBacklog } from './backlog.js';
export type { HttpTargetConfig, MqttTargetConfig, PullConfig, SyncSection, SyncTargetConfig } from './config-schema.js';
export { retentionHolds, syncSchema } from './config-schema.js';
export { createSync, type SyncOptions, type SyncService } from './create-sync.js';
export type { PullHealth, SyncHealth, TargetHealth } from './health.js';
export { mqttTopics } from './topics.js';
export { createPullRoutes, type PullRoutesOptions, type VerifyToken } from './pull-routes.js';
export type { TargetState, TargetStatus } from './target-runner.js';
