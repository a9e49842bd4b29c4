export { type ControlServer, type ControlServerOptions, startControlServer } from './control-server.js';
export { crc16, encodeMbap, encodeRtu } from './frames.js';
export { createModel, MODELS } from './models/registry.js';
export type { DeviceModel, ModelContext, ModelFactory, PointValues } from './models/types.js';
export { EXCEPTION } from './pdu.js';
export { createPtyPair, type PtyPair } from './pty-pair.js';
export { type BankOptions, createRegisterBank, type RegisterBank } from './register-bank.js';
export { isScenarioName, SCENARIOS, type ScenarioName, type ScenarioState } from '../../../core/scenarios.js';
export {
  type SimulatedSite,
  type SimTransport,
  type SiteEndpoint,
  type SiteOptions,
  startSimulatedSite,
} from './site.js';
export type { GarbageMode, ResponseOverride, ServerStats, SimulatedSlave, SlaveCounters } from './slave.js';
