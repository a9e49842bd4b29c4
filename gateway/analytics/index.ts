export { createAnalyticsService, type AnalyticsEngine, type AnalyticsHealth, type AnalyticsServiceOptions, type AnalyticsSpecChanges } from './service.js';
export { analyticsAlarmId, analyticsAlarmRules } from './specs.js';
export { limitLinesByPoint } from './limits.js';
