export { routeLibraryLogs } from '../library-logs.js';
export { buildCoolingModel, type CoolingModel, type ScenarioState } from './cooling-model.js';
export { type ConfiguredPoints, serveConfiguredPoints } from './configured-points.js';
export { type AddressSpaceBuilder, type OpcuaServerOptions, type RunningOpcuaServer, startOpcuaServer } from './server.js';
export {
  type OpcuaSimulatedSite,
  type OpcuaSiteEndpoint,
  type OpcuaSiteOptions,
  type ParsedEndpoint,
  parseEndpoint,
  startOpcuaSimulatedSite,
} from './site.js';
