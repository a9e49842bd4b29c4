/**
 * MQTT ingest (from the embedded broker or an external one) as one driver module. The embedded
 * broker is the site's `mqttBroker:` section: it starts even when no device uses it, so sensors
 * can connect before their points are configured.
 */
import type { DriverModule } from '../../core/driver-module.js';
import { mqttConfigPlugin } from './config-schema.js';
import type { MqttDeviceConfig } from './device.js';
import type { MqttBrokerSection } from './point.js';

/** The part of the site config this module reads. */
export interface MqttSite {
  mqttBroker?: MqttBrokerSection;
}

export const mqttModule: DriverModule<MqttDeviceConfig, MqttSite> = {
  name: 'mqtt',
  config: mqttConfigPlugin,
  startsWithoutDevices: (site) => site.mqttBroker?.enabled === true,
  async start(devices, { site, gatewayId, configDir, logger }) {
    const { startMqttRuntime } = await import('./runtime.js');
    const runtime = await startMqttRuntime({ broker: site.mqttBroker, devices, gatewayId, baseDir: configDir, logger });
    return {
      drivers: devices.map((device) => runtime.driverFor(device)),
      health: () => runtime.health(),
      metrics: () => runtime.metrics(),
      close: () => runtime.close(),
      replaceSite: async (next) => {
        await runtime.replaceBrokerUsers((next as MqttSite).mqttBroker);
      },
    };
  },
  /**
   * Sensors for the devices on the embedded broker. They log in as GATEWAY_SIM_MQTT_USERNAME /
   * GATEWAY_SIM_MQTT_PASSWORD, by default the demo's `demo-sensors` login (config/demo.yaml).
   */
  async simulate(devices, { site, scenarios, cooling, env, logger }) {
    const broker = site.mqttBroker;
    const onBroker = devices.filter((d) => !d.connection);
    if (onBroker.length === 0 || !broker?.enabled) return { stop: async () => {} };
    const host = broker.host === '0.0.0.0' || broker.host === '::' ? '127.0.0.1' : broker.host;
    const { startSensorSimulator } = await import('./simulator/index.js');
    const sim = await startSensorSimulator({
      devices: onBroker,
      url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${broker.port}`,
      username: env.GATEWAY_SIM_MQTT_USERNAME ?? 'demo-sensors',
      password: env.GATEWAY_SIM_MQTT_PASSWORD ?? 'demo-sensors',
      scenarios,
      cooling,
      logger,
    });
    logger.info('simulating', { transport: 'mqtt', at: `${host}:${broker.port}`, topics: sim.topics.length });
    return { stop: () => sim.stop() };
  },
};
