export { createIncidentEngine, type IncidentEngine, type IncidentEngineOptions } from './engine.js';
export { DEFAULT_CORRELATION } from './config-schema.js';
