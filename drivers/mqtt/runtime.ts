/**
 * Everything MQTT a running gateway needs, started together: the embedded broker (when enabled)
 * and the ingest its devices share. The composition root makes one of these and asks it for a
 * driver per MQTT device and for the health section.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Driver, PushSource, Writable } from '../../core/driver.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { defaultMaxPacketBytes } from './broker-limits.js';
import { createMqttDriver } from './driver.js';
import type { BrokerUsersChange } from './broker-users.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './embedded-broker.js';
import { createMqttIngest, type MqttIngest } from './ingest.js';
import { type MqttHealth, mqttMetricFamilies } from './metrics.js';
import type { MqttBrokerSection, MqttDeviceLike } from './point.js';


export type { MqttHealth };

export interface MqttRuntime {
  broker: EmbeddedBroker | undefined;
  ingest: MqttIngest;
  driverFor(device: MqttDeviceLike): Driver & PushSource & Writable;
  health(): MqttHealth;
  /** GET /metrics families: ingest counters and refusals by reason, broker hold-backs */
  metrics(): ReturnType<typeof mqttMetricFamilies>;
  /**
   * A live config change of the embedded broker's users and anonymous rules (`mqttBroker.users`,
   * `allowAnonymous`, `anonymousPublish`); undefined when no broker runs. Turning the broker on or
   * off, its listeners and limits need a restart.
   */
  replaceBrokerUsers(section: MqttBrokerSection | undefined): Promise<BrokerUsersChange | undefined>;
  /** Stops the ingest, then the broker (after the sampler closed the drivers). */
  close(): Promise<void>;
}

export interface MqttRuntimeOptions {
  broker?: MqttBrokerSection;
  devices: readonly MqttDeviceLike[];
  gatewayId: string;
  /** folder relative file names (certificates) are taken from: the config file's */
  baseDir: string;
  logger?: Logger;
}

export async function startMqttRuntime(options: MqttRuntimeOptions): Promise<MqttRuntime> {
  const logger = options.logger ?? silentLogger;
  const file = (name: string) => (isAbsolute(name) ? name : resolve(options.baseDir, name));
  let broker: EmbeddedBroker | undefined;
  const section = options.broker;
  if (section?.enabled) {
    const withFiles = section.tls ? { ...section, tls: { ...section.tls, cert: file(section.tls.cert), key: file(section.tls.key) } } : section;
    // the broker must let through every payload a device accepts, plus its topic
    const config = { ...withFiles, maxPacketBytes: section.maxPacketBytes ?? defaultMaxPacketBytes(options.devices.map((d) => d.maxPayloadBytes)) };
    broker = await startEmbeddedBroker({ config, logger: logger.child({ component: 'mqtt-broker' }) });
    logger.info('mqtt broker listening', { host: section.host, port: broker.port, tlsPort: broker.tlsPort, users: section.users.length });
  }
  const devices = options.devices.map((d) =>
    d.connection?.ca ? { ...d, connection: { ...d.connection, ca: file(d.connection.ca) } } : d,
  );
  const ingest = createMqttIngest({
    devices,
    ...(broker ? { broker } : {}),
    gatewayId: options.gatewayId,
    logger: logger.child({ component: 'mqtt' }),
  });
  const health = (): MqttHealth => ({
    broker: broker ? { ...broker.stats(), port: broker.port, tlsPort: broker.tlsPort } : null,
    ...ingest.health(),
  });
  return {
    broker,
    ingest,
    driverFor: (device) => createMqttDriver(device, { ingest }),
    health,
    metrics: () => mqttMetricFamilies(health()),
    async replaceBrokerUsers(next) {
      if (!broker || !next) return undefined;
      return broker.replaceUsers(next);
    },
    async close() {
      await ingest.close();
      await broker?.close();
    },
  };
}
