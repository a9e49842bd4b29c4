export { createStore, type StoreOptions } from './create-store.js';
export type { RetentionPolicy } from './retention.js';
export { SCHEMA_VERSION } from './schema.js';
export type { CommittedBatch, LatestValue, Store, StoreStats, StoredEvent } from './types.js';
