import { loadSiteConfig } from '../../config/index.js';
import { join } from 'node:path';
import type { ModbusDeviceConfig, MqttDeviceConfig, OpcuaDeviceConfig, SiteConfig } from '../../config/types.js';
import { startControlServer, startSimulatedSite } from '../../drivers/modbus/simulator/index.js';
import type { Logger } from '../logger.js';
import { cliLogger, DEFAULT_CONTROL_PORT, untilSignal } from './shared.js';

export interface RunningSimulation {
  stop(): Promise<void>;
}

/** Simulates every device of a site config at the address its connection names. */
export async function startSimulation(config: SiteConfig, controlPort: number, logger: Logger): Promise<RunningSimulation> {
  const site = await startSimulatedSite(config.devices.filter((d): d is ModbusDeviceConfig => d.driver === 'modbus'));
  const opcuaDevices = config.devices.filter((d): d is OpcuaDeviceConfig => d.driver === 'opcua');
  // The OPC UA plant reads the Modbus site's scenario switches, so one PUT drives both.
  const opcuaSim = opcuaDevices.length > 0 ? await import('../../drivers/opcua/simulator/index.js') : undefined;
  opcuaSim?.routeLibraryLogs(logger);
  const opcua = await opcuaSim?.startOpcuaSimulatedSite(opcuaDevices, {
    pkiDir: join(config.gateway.dataDir, 'simulator-pki'),
    scenarios: () => site.scenarios(),
    logger,
  });
  const control = await startControlServer(
    {
      scenarios: () => site.scenarios(),
      setScenario(name, active) {
        site.setScenario(name, active);
        opcua?.tick();
      },
    },
    { port: controlPort },
  );
  const mqttSensors = await startMqttSensors(config, () => site.scenarios(), logger);
  for (const e of opcua?.endpoints ?? []) logger.info('simulating', { transport: 'opcua', at: e.endpoint, devices: e.deviceIds.join(',') });
  for (const e of site.endpoints) {
    const where = e.path ?? `${e.host}:${e.port}`;
    logger.info('simulating', { transport: e.transport, at: where, unitIds: e.unitIds.join(',') });
  }
  logger.info('scenario control listening', { url: `http://127.0.0.1:${controlPort}/scenarios` });
  return {
    async stop() {
      await control.close();
      await mqttSensors?.stop();
      await opcua?.stop();
      await site.stop();
    },
  };
}

/**
 * Sensors for the MQTT devices on the embedded broker. They log in as GATEWAY_SIM_MQTT_USERNAME /
 * GATEWAY_SIM_MQTT_PASSWORD, by default the demo's `demo-sensors` login (config/demo.yaml).
 */
async function startMqttSensors(config: SiteConfig, scenarios: () => Record<string, boolean>, logger: Logger) {
  const devices = config.devices.filter((d): d is MqttDeviceConfig => d.driver === 'mqtt' && !d.connection);
  const broker = config.mqttBroker;
  if (devices.length === 0 || !broker?.enabled) return undefined;
  const host = broker.host === '0.0.0.0' || broker.host === '::' ? '127.0.0.1' : broker.host;
  const { startSensorSimulator } = await import('../../drivers/mqtt/simulator/index.js');
  const sim = await startSensorSimulator({
    devices,
    url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${broker.port}`,
    username: process.env.GATEWAY_SIM_MQTT_USERNAME ?? 'demo-sensors',
    password: process.env.GATEWAY_SIM_MQTT_PASSWORD ?? 'demo-sensors',
    scenarios,
    logger,
  });
  logger.info('simulating', { transport: 'mqtt', at: `${host}:${broker.port}`, topics: sim.topics.length });
  return sim;
}

/** `gateway simulate --config FILE`: the simulated equipment alone (benchmarks, bench tests). */
export async function simulateCommand(file: string, controlPort = DEFAULT_CONTROL_PORT): Promise<number> {
  const logger = cliLogger();
  const stopRequested = untilSignal();
  const simulation = await startSimulation(loadSiteConfig(file), controlPort, logger);
  await stopRequested;
  await simulation.stop();
  return 0;
}
