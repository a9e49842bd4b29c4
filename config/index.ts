export { type CheckResult, checkSiteConfig, loadSiteConfig, type ParseOptions, parseSiteConfig } from './loader.js';
export { builtinProfilesDir, type LoadedProfile, loadProfileFile } from './profiles.js';
export { Secret, type SecretStringOptions, secretString } from '../core/secret.js';
export type * from './types.js';
export { DEVICE_KINDS } from '../core/device.js';
export { formatPath, type PathSegment } from './yaml-source.js';
export type * from '../core/driver-config.js';
export { DRIVERS, type DriverName, driverPlugins } from './drivers.js';
