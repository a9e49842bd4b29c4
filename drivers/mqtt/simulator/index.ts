export { createSensorModel, type ModelContext, type ScenarioState, type SensorModel } from './sensor-models.js';
export { type SensorSimulator, type SensorSimulatorOptions, startSensorSimulator } from './sensor-simulator.js';
