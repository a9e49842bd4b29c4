export { createStore } from './create-store.js';
export type { StorePolicy } from './report-by-exception.js';
export type { RetentionPolicy } from './retention.js';
export { SCHEMA_VERSION } from './schema.js';
export type { StoreOptions } from './store-options.js';
export type { CommittedBatch, LatestValue, RollupBucket, Store, StoreStats, StoredEvent, SyncCursor, SyncStream } from './types.js';
