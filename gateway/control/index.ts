export { CONTROL_WRITE_EVENT, type ControlServiceOptions, createControlService } from './service.js';
export { type ControlActor, type ControlService, WRITE_REFUSALS, type WriteRefusal, type WriteRequest, type WriteResult } from './types.js';
