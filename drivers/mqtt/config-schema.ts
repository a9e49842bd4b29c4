/**
 * MQTT config: the embedded broker section, device and point shapes (zod), and the step that
 * fills topic templates into each point's concrete topic and shared subscription filter.
 *
 * Topic templates: `{name}` (or `+name` as a whole level) is a named segment, filled from the
 * device: `{device}` is the device id, `{point}` the point key, any other name comes from the
 * device's `vars`, or from `instances` — one list of values that repeats every point per value,
 * so a rack of 40 identical sensors is one device entry, not 40.
 *
 * Zod only (see config/driver-plugin.ts): nothing here loads an MQTT library.
 */
import { z } from 'zod';
import { writeSpecSchema } from '../../core/write-spec.js';
import type { BuildInput, DriverConfigPlugin, Located, PointSource } from '../../core/driver-config.js';
import type { MqttDeviceConfig } from './device.js';
import { type Secret, secretString } from '../../core/secret.js';
import { parseJsonPath } from './payload.js';
import { DEFAULT_BROKER_LIMITS, DEFAULT_MAX_PAYLOAD_BYTES } from './broker-limits.js';
import { DEFAULT_LOGIN_BACKOFF } from './login-throttle.js';
import { DEFAULT_CLIENT_RATE_LIMIT, DEFAULT_POINT_RATE_LIMIT } from './rate-limits.js';
import { parsePasswordHash } from './password.js';
import {
  MQTT_VALUE_TYPES,
  type MqttBrokerUser,
  type MqttConnection,
  type MqttDeviceSettings,
  type MqttPoint,
  RETAINED_POLICIES,
  type RetainedPolicy,
} from './point.js';
import { DEFAULT_COMMAND_PAYLOAD } from './command.js';
import { fillTopicTemplate, parseTopicTemplate, templateFilter } from './topic.js';

const KEY = /^[a-z0-9_-]+$/;
const KEY_RULE = 'has characters other than a-z, 0-9, _ and -';
export { DEFAULT_MAX_PAYLOAD_BYTES };
export const DEFAULT_EXPECTED_INTERVAL_MS = 60_000;
/** a point is stale after this many expected intervals without a message */
export const STALE_AFTER_INTERVALS = 3;

/** MQTT topic filter syntax (§4.7.1): `+` a whole level, `#` alone and last. */
function isTopicFilter(f: string): boolean {
  if (f.length === 0 || f.includes('\0')) return false;
  const levels = f.split('/');
  return levels.every((level, i) => (level.includes('#') ? level === '#' && i === levels.length - 1 : !level.includes('+') || level === '+'));
}
const topicFilter = () => z.string().refine(isTopicFilter, 'is not an MQTT topic filter ("+" a whole level, "#" only last)');

const ENV_REF = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

/** A broker user's password: a scrypt hash, or `${ENV}` holding the password. Never echoed. */
const brokerPassword = z.unknown().transform((text, ctx): MqttBrokerUser['password'] => {
  if (typeof text !== 'string') {
    ctx.addIssue({ code: 'custom', message: text === undefined ? 'required' : 'expected a string (value not shown)' });
    return z.NEVER;
  }
  if (text.startsWith('scrypt$')) {
    const parsed = parsePasswordHash(text);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }
    return { hash: text };
  }
  if (ENV_REF.test(text)) {
    const secret = secretString().safeParse(text);
    if (!secret.success) {
      ctx.addIssue({ code: 'custom', message: secret.error.issues[0]?.message ?? 'cannot be read' });
      return z.NEVER;
    }
    return { secret: secret.data as Secret };
  }
  const envForm = '$' + '{ENV_NAME}';
  ctx.addIssue({ code: 'custom', message: `a plain password is not accepted here: write its hash (\`gateway mqtt-passwd\`) or ${envForm}` });
  return z.NEVER;
});

const brokerUser = z.strictObject({
  username: z.string().min(1).max(256),
  password: brokerPassword,
  publish: z.array(topicFilter()).default([]),
  subscribe: z.array(topicFilter()).default([]),
});

/** The top-level `mqttBroker:` section. */
export const mqttBrokerSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default('0.0.0.0'),
    // 0 asks the OS for a free port (tests)
    port: z.int().min(0).max(65535).default(1883),
    allowAnonymous: z.boolean().default(false),
    anonymousPublish: z.array(topicFilter()).default(['#']),
    tls: z
      .strictObject({
        port: z.int().min(0).max(65535).default(8883),
        cert: z.string().min(1),
        key: z.string().min(1),
      })
      .optional(),
    users: z.array(brokerUser).default([]),
    maxConnections: z.int().min(1).max(100_000).default(DEFAULT_BROKER_LIMITS.maxConnections),
    maxConnectionsPerAddress: z.int().min(1).max(100_000).default(DEFAULT_BROKER_LIMITS.maxConnectionsPerAddress),
    maxClientIdLength: z.int().min(23).max(65535).default(DEFAULT_BROKER_LIMITS.maxClientIdLength),
    maxConnectBytes: z.int().min(256).max(1024 * 1024).default(DEFAULT_BROKER_LIMITS.maxConnectBytes),
    // absent: the largest device maxPayloadBytes plus topic headroom (see runtime.ts)
    maxPacketBytes: z.int().min(1024).max(256 * 1024 * 1024).optional(),
    loginBackoff: z
      .strictObject({
        afterFailures: z.int().min(1).max(1000).default(DEFAULT_LOGIN_BACKOFF.afterFailures),
        initialDelayMs: z.int().min(0).max(3_600_000).default(DEFAULT_LOGIN_BACKOFF.initialDelayMs),
        maxDelayMs: z.int().min(0).max(86_400_000).default(DEFAULT_LOGIN_BACKOFF.maxDelayMs),
      })
      .prefault({}),
    clientRateLimit: z.number().min(0).max(1_000_000).default(DEFAULT_CLIENT_RATE_LIMIT),
  })
  .superRefine((section, ctx) => {
    const seen = new Map<string, number>();
    section.users.forEach((u, i) => {
      const first = seen.get(u.username);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['users', i, 'username'], message: `duplicate username "${u.username}" (also users[${first}])` });
      else seen.set(u.username, i);
    });
  });

const connectionSchema = z.strictObject({
  url: z.string().regex(/^mqtts?:\/\/[^/\s]+\/?$/, 'is not a broker URL like mqtt://host:1883 or mqtts://host:8883'),
  username: z.string().min(1).optional(),
  password: secretString().optional(),
  ca: z.string().min(1).optional(),
  clientId: z.string().min(1).max(128).optional(),
  keepaliveS: z.int().min(5).max(3600).default(30),
  connectTimeoutMs: z.int().min(100).max(60_000).default(5000),
});

const varValue = z.string().regex(/^[^/+#\s\0]+$/, 'must be one topic level (no "/", "+", "#" or spaces)');

/** Device defaults a profile may also give (one sensor model's topic layout). */
const sharedShape = {
  topic: z.string().min(1).optional(),
  timestampPath: z.string().min(1).optional(),
  maxPayloadBytes: z.int().min(16).max(16 * 1024 * 1024).optional(),
  retained: z.enum(RETAINED_POLICIES).optional(),
  expectedIntervalMs: z.int().min(100).max(86_400_000).optional(),
  staleAfterMs: z.int().min(0).max(7 * 86_400_000).optional(),
  pointRateLimit: z.number().min(0).max(1_000_000).optional(),
};

export const mqttDeviceShape = {
  connection: connectionSchema.optional(),
  vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not a segment name'), varValue).optional(),
  instances: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not a segment name'), z.array(varValue.regex(KEY, KEY_RULE)).min(1)).optional(),
  ...sharedShape,
};

export const mqttPointInputSchema = z.strictObject({
  key: z.string().regex(KEY, KEY_RULE),
  name: z.string().min(1).optional(),
  unit: z.string().optional(),
  topic: z.string().min(1).optional(),
  path: z.string().min(1).optional(),
  type: z.enum(MQTT_VALUE_TYPES).optional(),
  scale: z
    .number()
    .refine((n) => n !== 0, 'must not be 0')
    .optional(),
  offset: z.number().optional(),
  staleAfterMs: z.int().min(0).max(7 * 86_400_000).optional(),
  disabled: z.boolean().optional(),
  write: writeSpecSchema.optional(),
  /** the write route (issue 14): a topic template like the point's, and a payload template with {value} */
  command: z.strictObject({ topic: z.string().min(1), payload: z.string().default(DEFAULT_COMMAND_PAYLOAD) }).optional(),
});
export type MqttPointInput = z.infer<typeof mqttPointInputSchema>;

type Shared = { [K in keyof typeof sharedShape]?: z.output<(typeof sharedShape)[K]> };
type DeviceFields = Shared & {
  connection?: z.output<typeof connectionSchema>;
  vars?: Record<string, string>;
  instances?: Record<string, string[]>;
};

/** `{name}` in names and paths: filled like topics, left alone when unknown. */
function fillText(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => vars[name] ?? whole);
}

export const mqttConfigPlugin: DriverConfigPlugin<MqttDeviceConfig> = {
  deviceShape: mqttDeviceShape,
  profileShape: sharedShape,
  pointSchema: mqttPointInputSchema,
  build<W>({ common, fields, profile, points, at }: BuildInput<W>) {
    const own = fields as DeviceFields | undefined;
    const header = (profile ?? {}) as Shared;
    const problems: Located<W>[] = [];
    const pick = <K extends keyof Shared>(k: K): Shared[K] => own?.[k] ?? header[k];
    const expected = pick('expectedIntervalMs') ?? DEFAULT_EXPECTED_INTERVAL_MS;
    const deviceStale = pick('staleAfterMs') ?? expected * STALE_AFTER_INTERVALS;
    const deviceTopic = pick('topic');
    const instanceEntries = Object.entries(own?.instances ?? {});
    if (instanceEntries.length > 1) problems.push({ where: at('instances'), message: 'give one segment name (one list of values)' });
    const [instanceVar, instanceValues] = instanceEntries[0] ?? [undefined, [undefined]];
    const dupes = (instanceValues as (string | undefined)[]).filter((v, i, all) => v !== undefined && all.indexOf(v) !== i);
    if (dupes.length > 0) problems.push({ where: at('instances'), message: `duplicate value "${dupes[0]}"` });

    const resolved: MqttPoint[] = [];
    for (const source of points as PointSource<W, MqttPointInput>[]) {
      const p = source.input;
      const report = (message: string, field?: string) => problems.push({ where: source.where(field), message });
      const before = problems.length;
      const text = p.topic ?? deviceTopic;
      const template = text === undefined ? 'required (or give the device a topic)' : parseTopicTemplate(text);
      if (typeof template === 'string') report(template, 'topic');
      if (p.path !== undefined && !parseJsonPath(fillText(p.path, { point: p.key }).replace(/\{[^}]*\}/g, 'x'))) {
        report(`"${p.path}" is not a JSON path (like temperature, data.rh or values[0])`, 'path');
      }
      const commandTemplate = p.command ? parseTopicTemplate(p.command.topic) : undefined;
      if (typeof commandTemplate === 'string') report(`topic: ${commandTemplate}`, 'command');
      if (p.write !== undefined && p.command === undefined) report('an MQTT point is written through its command: give command: { topic, payload }', 'write');
      const type = p.type ?? 'number';
      if (type !== 'number') for (const f of ['scale', 'offset'] as const) if (p[f] !== undefined) report(`only for type number, not ${type}`, f);
      // A profile alone cannot know the device's vars: only its syntax is checked here.
      if (!own || typeof template === 'string' || problems.length > before) continue;
      for (const value of instanceValues as (string | undefined)[]) {
        const vars: Record<string, string> = { device: common.id, point: p.key, ...own.vars };
        if (instanceVar !== undefined && value !== undefined) vars[instanceVar] = value;
        const filled = fillTopicTemplate(template, vars);
        if ('missing' in filled) {
          report(`{${filled.missing}} has no value: give the device vars: { ${filled.missing}: ... } or instances`, 'topic');
          break;
        }
        const key = value === undefined ? p.key : `${value}-${p.key}`;
        const baseName = p.name ?? p.key;
        const name = value === undefined ? fillText(baseName, vars) : baseName.includes('{') ? fillText(baseName, vars) : `${value} ${baseName}`;
        const point: MqttPoint = {
          id: `${common.id}.${key}`,
          key,
          name,
          topic: filled.topic,
          filter: templateFilter(template),
          type,
          staleAfterMs: p.staleAfterMs ?? deviceStale,
        };
        if (p.unit !== undefined) point.unit = p.unit;
        if (p.path !== undefined) point.path = fillText(p.path, vars);
        if (p.scale !== undefined) point.scale = p.scale;
        if (p.offset !== undefined) point.offset = p.offset;
        if (p.write !== undefined) point.write = p.write;
        if (p.command && commandTemplate && typeof commandTemplate !== 'string') {
          const command = fillTopicTemplate(commandTemplate, vars);
          if ('missing' in command) {
            report(`topic: {${command.missing}} has no value: give the device vars: { ${command.missing}: ... } or instances`, 'command');
            break;
          }
          // the gateway listens on the point's topic: a command there would read back as the value
          if (command.topic === point.topic) {
            report("topic: must differ from the point's topic (the gateway would read its own command as the value)", 'command');
            break;
          }
          point.command = { topic: command.topic, payload: p.command.payload };
        }
        resolved.push(point);
      }
    }
    const timestampPath = pick('timestampPath');
    if (timestampPath !== undefined && !parseJsonPath(timestampPath)) {
      problems.push({ where: at('timestampPath'), message: `"${timestampPath}" is not a JSON path` });
    }
    if (!own) return { problems };
    const settings: MqttDeviceSettings = {
      driver: 'mqtt',
      maxPayloadBytes: pick('maxPayloadBytes') ?? DEFAULT_MAX_PAYLOAD_BYTES,
      retained: (pick('retained') ?? 'accept') as RetainedPolicy,
      pointRateLimit: pick('pointRateLimit') ?? DEFAULT_POINT_RATE_LIMIT,
      points: resolved,
    };
    if (own.connection) settings.connection = own.connection as MqttConnection;
    if (timestampPath !== undefined) settings.timestampPath = timestampPath;
    const device: MqttDeviceConfig = { ...common, ...settings };
    return { device, problems };
  },
};
