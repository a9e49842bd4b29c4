/**
 * Simulated MQTT sensors for the demo and dry runs: every topic of the configured MQTT devices
 * gets a sensor that logs in to the broker like a real one and publishes each tick — a JSON
 * object when its points have paths (`{"temperature":23.1,"humidity":45.2,"ts":...}`), plain
 * text otherwise (`ON`/`OFF`, `21.5`).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { errorMessage } from '../../../core/errors.js';
import { type Logger, silentLogger } from '../../../core/logger.js';
import { parseJsonPath } from '../payload.js';
import type { MqttDeviceLike, MqttPoint } from '../point.js';
import type { SiteCooling } from '../../../core/site-cooling.js';
import { createSensorModel, type ScenarioState, type SensorModel } from './sensor-models.js';

export interface SensorSimulatorOptions {
  /** devices whose topics get a sensor */
  devices: readonly MqttDeviceLike[];
  /** the broker, e.g. mqtt://127.0.0.1:1883 */
  url: string;
  username?: string;
  password?: string;
  /** read every tick (the site's scenario switch) */
  scenarios?: () => ScenarioState;
  /** the site's cooling state: temperature sensors follow their device location's cooling */
  cooling?: SiteCooling;
  /** publish period (default 2000 ms) */
  tickMs?: number;
  seed?: number;
  /** clock for the models (tests pass a fake one and call tick()) */
  now?: () => number;
  logger?: Logger;
}

export interface SensorSimulator {
  /** topics being published */
  readonly topics: readonly string[];
  /** publishes every sensor once now */
  tick(): Promise<void>;
  /** messages published so far */
  published(): number;
  stop(): Promise<void>;
}

interface Sensor {
  topic: string;
  json: boolean;
  timestampField: string | undefined;
  points: { point: MqttPoint; steps: (string | number)[] | undefined; model: SensorModel }[];
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function setPath(target: Record<string, unknown>, steps: readonly (string | number)[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const [i, step] of steps.entries()) {
    const key = String(step);
    if (i === steps.length - 1) node[key] = value;
    else {
      node[key] ??= typeof steps[i + 1] === 'number' ? [] : {};
      node = node[key] as Record<string, unknown>;
    }
  }
}

function plain(value: number | boolean | string): string {
  return typeof value === 'boolean' ? (value ? 'ON' : 'OFF') : String(value);
}

export async function startSensorSimulator(options: SensorSimulatorOptions): Promise<SensorSimulator> {
  const log = options.logger ?? silentLogger;
  const random = rng(options.seed ?? 1);
  const scenarios = options.scenarios ?? (() => ({}));
  const clock = options.now ?? Date.now;
  const sensors = new Map<string, Sensor>();
  let temperatureTopics = 0;
  for (const device of options.devices) {
    for (const point of device.points) {
      let sensor = sensors.get(point.topic);
      if (!sensor) {
        sensor = { topic: point.topic, json: point.path !== undefined, timestampField: device.timestampPath, points: [] };
        sensors.set(point.topic, sensor);
      }
      const key = point.key.toLowerCase();
      // every fourth rack, from the second, is in the hot-spot
      const hot = /temp/.test(key) && temperatureTopics++ % 4 === 1;
      const steps = point.path === undefined ? undefined : parseJsonPath(point.path);
      const { location } = device;
      const cooled = options.cooling && location !== undefined ? () => options.cooling!.cooled(location) : undefined;
      sensor.points.push({ point, steps, model: createSensorModel({ key, type: point.type, hot, random, cooled }) });
    }
  }
  const client: MqttClient = mqtt.connect(options.url, {
    protocolVersion: 4,
    clientId: `sim-sensors-${process.pid}`,
    reconnectPeriod: 1000,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
  });
  let lastError = '';
  let everConnected = false;
  client.on('error', (err) => {
    const message = errorMessage(err);
    // Before the first connect the broker may simply not be up yet (the demo starts it next).
    if (message !== lastError) (everConnected ? log.warn : log.debug)('simulated sensors cannot publish', { error: message });
    lastError = message;
  });
  client.on('connect', () => {
    if (!everConnected) log.info('simulated sensors publishing', { broker: options.url, topics: sensors.size });
    everConnected = true;
    lastError = '';
  });

  let count = 0;
  const tick = async () => {
    if (!client.connected) return;
    const now = clock();
    const state = scenarios();
    const sends: Promise<unknown>[] = [];
    for (const sensor of sensors.values()) {
      let payload: string;
      if (sensor.json) {
        const body: Record<string, unknown> = {};
        for (const p of sensor.points) if (p.steps) setPath(body, p.steps, p.model.next(now, state));
        if (sensor.timestampField) setPath(body, parseJsonPath(sensor.timestampField) ?? [sensor.timestampField], new Date(now).toISOString());
        payload = JSON.stringify(body);
      } else {
        payload = plain(sensor.points[0]!.model.next(now, state));
      }
      sends.push(client.publishAsync(sensor.topic, payload, { qos: 0 }).catch(() => undefined));
      count += 1;
    }
    await Promise.all(sends);
  };
  const timer = setInterval(() => void tick(), options.tickMs ?? 2000);
  client.once('connect', () => void tick());
  return {
    topics: [...sensors.keys()],
    tick,
    published: () => count,
    async stop() {
      clearInterval(timer);
      await client.endAsync(true).catch(() => undefined);
    },
  };
}
