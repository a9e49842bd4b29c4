export {
  type BitTable,
  describeLink,
  type ModbusClient,
  type ModbusFault,
  type ModbusFraming,
  ModbusRequestError,
  type OpenClientOptions,
  type OpenModbusClient,
  openModbusClient,
  type RegisterTable,
} from './client.js';
export { decodeBits, decodeRegisters } from './codec.js';
export { createModbusDriver, type ModbusDriverOptions } from './driver.js';
export { encodeBit, encodeRegisters } from './encode.js';
export { exceptionReason, isGatewayException } from './exceptions.js';
export { createModbusLinkPool, linkIdOf, type ModbusLinkPool, type ModbusLinkPoolOptions } from './link-pool.js';
export { planReads, type PlanLimits, type ReadRequest } from './planner.js';
export * from './point.js';
