/**
 * OPC UA config: the YAML shape of connections, subscriptions and points (zod), and the step that
 * resolves a device's merged points. zod only: the loader imports this for every config, and
 * node-opcua must load only when an OPC UA device is configured.
 */
import { z } from 'zod';
import { writeSpecSchema } from '../../core/write-spec.js';
import type { BuildInput, DriverConfigPlugin, Located, PointSource } from '../../core/driver-config.js';
import { secretString } from '../../core/secret.js';
import type { OpcuaDeviceConfig } from './device.js';
import { isNodeIdText, parseBrowsePath } from './node-address.js';
import {
  defaultPolicyFor,
  OPCUA_MODES,
  OPCUA_SECURITY_MODES,
  OPCUA_SECURITY_POLICIES,
  type OpcuaConnection,
  type OpcuaDeadband,
  type OpcuaMode,
  type OpcuaPoint,
  type OpcuaSubscriptionSettings,
} from './point.js';

const KEY = /^[a-z0-9_-]+$/;
const ENDPOINT = /^opc\.tcp:\/\/[^/\s:]+(?::\d{1,5})?(?:\/\S*)?$/;

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_SESSION_TIMEOUT_MS = 60_000;
export const DEFAULT_PUBLISHING_INTERVAL_MS = 1000;
export const DEFAULT_SAMPLING_INTERVAL_MS = 500;
export const DEFAULT_QUEUE_SIZE = 10;

const deadbandSchema = z
  .strictObject({
    type: z.enum(['absolute', 'percent']),
    value: z.number().min(0),
  })
  .refine((d) => d.type !== 'percent' || d.value <= 100, { message: 'a percent deadband is at most 100', path: ['value'] });

const samplingIntervalMs = z.number().min(0).max(3_600_000);
const queueSize = z.int().min(1).max(10_000);

export const opcuaConnectionSchema = z.strictObject({
  endpoint: z.string().regex(ENDPOINT, 'is not an OPC UA endpoint (opc.tcp://host:port/path)'),
  securityMode: z.enum(OPCUA_SECURITY_MODES).default('None'),
  securityPolicy: z.enum(OPCUA_SECURITY_POLICIES).optional(),
  username: z.string().min(1).optional(),
  password: secretString().optional(),
  timeoutMs: z.int().min(100).max(120_000).default(DEFAULT_TIMEOUT_MS),
  sessionTimeoutMs: z.int().min(10_000).max(3_600_000).default(DEFAULT_SESSION_TIMEOUT_MS),
  trustOnFirstUse: z.boolean().default(false),
});

const subscriptionSchema = z.strictObject({
  publishingIntervalMs: z.int().min(10).max(3_600_000).optional(),
  samplingIntervalMs: samplingIntervalMs.optional(),
  queueSize: queueSize.optional(),
  deadband: deadbandSchema.optional(),
});

/** A point as written in YAML; every field but `key` optional, so a device may override a profile's. */
export const opcuaPointInputSchema = z.strictObject({
  key: z.string().regex(KEY, 'has characters other than a-z, 0-9, _ and -'),
  name: z.string().min(1).optional(),
  unit: z.string().optional(),
  nodeId: z.string().min(1).optional(),
  browsePath: z.string().min(1).optional(),
  scale: z
    .number()
    .refine((n) => n !== 0, 'must not be 0')
    .optional(),
  offset: z.number().optional(),
  samplingIntervalMs: samplingIntervalMs.optional(),
  queueSize: queueSize.optional(),
  deadband: deadbandSchema.optional(),
  disabled: z.boolean().optional(),
  write: writeSpecSchema.optional(),
});
export type OpcuaPointInput = z.infer<typeof opcuaPointInputSchema>;

/** Defaults a device or its profile may set. */
const sharedShape = {
  mode: z.enum(OPCUA_MODES).optional(),
  subscription: subscriptionSchema.optional(),
  /** relative browse paths of points start here (default: the Objects folder) */
  browseRoot: z.string().min(1).optional(),
};

export const opcuaDeviceShape = { connection: opcuaConnectionSchema, ...sharedShape };

type ConnectionInput = z.output<typeof opcuaConnectionSchema>;
type SharedInput = { mode?: OpcuaMode; subscription?: z.output<typeof subscriptionSchema>; browseRoot?: string };

/** Resolves merged points; a point with a problem is left out. */
export function resolveOpcuaPoints<W>(
  deviceId: string,
  sources: readonly PointSource<W>[],
  browseRoot: string | undefined,
): { points: OpcuaPoint[]; problems: Located<W>[] } {
  const problems: Located<W>[] = [];
  const points: OpcuaPoint[] = [];
  for (const source of sources) {
    const p = source.input as OpcuaPointInput;
    const before = problems.length;
    const report = (message: string, field?: keyof OpcuaPointInput) => problems.push({ where: source.where(field), message });
    if (p.nodeId === undefined && p.browsePath === undefined) report('needs nodeId or browsePath');
    if (p.nodeId !== undefined && p.browsePath !== undefined) report('give nodeId or browsePath, not both', 'browsePath');
    if (p.nodeId !== undefined && !isNodeIdText(p.nodeId)) {
      report(`"${p.nodeId}" is not a NodeId (like "ns=2;s=Name" or "ns=3;i=1001")`, 'nodeId');
    }
    let browsePath: string | undefined;
    if (p.browsePath !== undefined) {
      const full = browseRoot && !p.browsePath.startsWith('/') ? `${browseRoot.replace(/\/+$/, '')}/${p.browsePath}` : p.browsePath;
      const parsed = parseBrowsePath(full);
      if (typeof parsed === 'string') report(`"${p.browsePath}" ${parsed}`, 'browsePath');
      else browsePath = full.startsWith('/') ? full.slice(1) : full;
    }
    if (problems.length > before) continue;
    const point: OpcuaPoint = { id: `${deviceId}.${p.key}`, key: p.key, name: p.name ?? p.key };
    if (p.unit !== undefined) point.unit = p.unit;
    if (p.nodeId !== undefined) point.nodeId = p.nodeId;
    if (browsePath !== undefined) point.browsePath = browsePath;
    for (const f of ['scale', 'offset', 'samplingIntervalMs', 'queueSize'] as const) {
      if (p[f] !== undefined) point[f] = p[f];
    }
    if (p.deadband !== undefined) point.deadband = p.deadband as OpcuaDeadband;
    if (p.write !== undefined) point.write = p.write;
    points.push(point);
  }
  return { points, problems };
}

function resolveConnection<W>(c: ConnectionInput, at: (field: string) => W, problems: Located<W>[]): OpcuaConnection {
  const securityPolicy = c.securityPolicy ?? defaultPolicyFor(c.securityMode);
  if (c.securityMode === 'None' && securityPolicy !== 'None') {
    problems.push({ where: at('connection'), message: `securityPolicy ${securityPolicy} needs securityMode Sign or SignAndEncrypt` });
  }
  if (c.securityMode !== 'None' && securityPolicy === 'None') {
    problems.push({ where: at('connection'), message: `securityMode ${c.securityMode} needs a securityPolicy other than None` });
  }
  if (c.password !== undefined && c.username === undefined) {
    problems.push({ where: at('connection'), message: 'a password needs a username' });
  }
  if (c.username !== undefined && c.password === undefined) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's ${NAME} syntax, shown to the user
    problems.push({ where: at('connection'), message: 'username needs a password (e.g. password: "${OPCUA_PASSWORD}")' });
  }
  const connection: OpcuaConnection = {
    endpoint: c.endpoint,
    securityMode: c.securityMode,
    securityPolicy,
    timeoutMs: c.timeoutMs,
    sessionTimeoutMs: c.sessionTimeoutMs,
    trustOnFirstUse: c.trustOnFirstUse,
  };
  if (c.username !== undefined) connection.username = c.username;
  if (c.password !== undefined) connection.password = c.password;
  return connection;
}

function resolveSubscription(own?: SharedInput['subscription'], profile?: SharedInput['subscription']): OpcuaSubscriptionSettings {
  const settings: OpcuaSubscriptionSettings = {
    publishingIntervalMs: own?.publishingIntervalMs ?? profile?.publishingIntervalMs ?? DEFAULT_PUBLISHING_INTERVAL_MS,
    samplingIntervalMs: own?.samplingIntervalMs ?? profile?.samplingIntervalMs ?? DEFAULT_SAMPLING_INTERVAL_MS,
    queueSize: own?.queueSize ?? profile?.queueSize ?? DEFAULT_QUEUE_SIZE,
  };
  const deadband = own?.deadband ?? profile?.deadband;
  if (deadband) settings.deadband = deadband as OpcuaDeadband;
  return settings;
}

/** The OPC UA driver's part of the config loader. */
export const opcuaConfigPlugin: DriverConfigPlugin<OpcuaDeviceConfig> = {
  deviceShape: opcuaDeviceShape,
  profileShape: sharedShape,
  pointSchema: opcuaPointInputSchema,
  build<W>({ common, fields, profile, points, at }: BuildInput<W>) {
    const own = fields as (SharedInput & { connection: ConnectionInput }) | undefined;
    const header = profile as SharedInput | undefined;
    const browseRoot = own?.browseRoot ?? header?.browseRoot;
    const problems: Located<W>[] = [];
    if (browseRoot !== undefined) {
      const parsed = parseBrowsePath(browseRoot);
      if (typeof parsed === 'string') problems.push({ where: at(own?.browseRoot ? 'browseRoot' : 'profile'), message: `"${browseRoot}" ${parsed}` });
    }
    const checked = resolveOpcuaPoints(common.id, points, problems.length > 0 ? undefined : browseRoot);
    problems.push(...checked.problems);
    if (!own) return { problems };
    const device: OpcuaDeviceConfig = {
      ...common,
      driver: 'opcua',
      connection: resolveConnection(own.connection, at, problems),
      mode: own.mode ?? header?.mode ?? 'subscribe',
      subscription: resolveSubscription(own.subscription, header?.subscription),
      points: checked.points,
    };
    return { device, problems };
  },
};
