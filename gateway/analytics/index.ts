export { createAnalyticsService, type AnalyticsEngine, type AnalyticsHealth, type AnalyticsServiceOptions } from './service.js';
export { analyticsAlarmRules } from './specs.js';
export { limitLinesByPoint } from './limits.js';
