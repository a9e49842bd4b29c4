/**
 * `gateway browse --endpoint URL`: the variable tree of an OPC UA server with data types, units
 * and values, or (`--yaml`) a points block to paste into a site config or profile. node-opcua is
 * imported here, on demand, so other commands never load it.
 */
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Secret } from '../../core/secret.js';
import { GatewayError } from '../../core/errors.js';
import { cliLogger } from './shared.js';

export interface BrowseCommandOptions {
  endpoint: string;
  /** user name; the password comes from the environment variable `passwordEnv` */
  user?: string;
  /** default OPCUA_PASSWORD */
  passwordEnv?: string;
  /** `None`, `Sign` or `SignAndEncrypt`, optionally `/Policy` (default policy Basic256Sha256) */
  security?: string;
  /** the gateway's data folder; certificates are under `<dataDir>/pki` (default ./data) */
  dataDir?: string;
  /** browse path to start from, e.g. `Cooling/CRAC-3` */
  root?: string;
  depth?: number;
  yaml?: boolean;
  /** YAML points by browse path rather than NodeId */
  byPath?: boolean;
  trustOnFirstUse?: boolean;
  env?: Record<string, string | undefined>;
  write?: (text: string) => void;
}

const MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
const POLICIES = ['None', 'Basic128Rsa15', 'Basic256', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;

function parseSecurity(text = 'None'): { mode: (typeof MODES)[number]; policy: (typeof POLICIES)[number] } {
  const [modeText, policyText] = text.split('/');
  const mode = MODES.find((m) => m.toLowerCase() === modeText?.toLowerCase());
  if (!mode) throw new GatewayError(`--security: expected ${MODES.join(', ')} (optionally /POLICY), got "${text}"`);
  const policy = policyText === undefined ? (mode === 'None' ? 'None' : 'Basic256Sha256') : POLICIES.find((p) => p.toLowerCase() === policyText.toLowerCase());
  if (!policy) throw new GatewayError(`--security: unknown policy "${policyText}" (${POLICIES.join(', ')})`);
  return { mode, policy };
}

export async function browseCommand(options: BrowseCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const env = options.env ?? process.env;
  const { mode, policy } = parseSecurity(options.security);
  let password: Secret | undefined;
  if (options.user !== undefined) {
    const name = options.passwordEnv ?? 'OPCUA_PASSWORD';
    const value = env[name];
    if (value === undefined) throw new GatewayError(`--user needs the password in the environment variable ${name}`);
    password = new Secret(value);
  }
  const opcua = await import('../../drivers/opcua/index.js');
  const logger = cliLogger('warn');
  opcua.routeLibraryLogs(logger);
  const pki = opcua.createOpcuaPki(join(resolve(options.dataDir ?? './data'), 'pki'));
  const connection = {
    endpoint: options.endpoint,
    securityMode: mode,
    securityPolicy: policy,
    timeoutMs: 10_000,
    sessionTimeoutMs: 60_000,
    trustOnFirstUse: options.trustOnFirstUse === true,
    ...(options.user !== undefined ? { username: options.user, password } : {}),
  };
  // trust on first use is pinned per endpoint for browsing
  const deviceId = `browse-${createHash('sha1').update(options.endpoint).digest('hex').slice(0, 12)}`;
  const signal = AbortSignal.timeout(120_000);
  try {
    const session = await opcua.openOpcuaSession({ deviceId, connection, pki, logger }, signal);
    try {
      const tree = await opcua.browseTree(session, { root: options.root, maxDepth: options.depth }, signal);
      write(`${options.yaml ? opcua.formatPointsYaml(tree, { byBrowsePath: options.byPath }) : opcua.formatTree(tree)}\n`);
    } finally {
      await session.close();
    }
  } catch (err) {
    if (err instanceof RangeError) throw new GatewayError(err.message);
    // the driver's messages start with the device id; here there is none
    if (err instanceof Error && err.message.startsWith(`${deviceId}: `)) {
      const message = err.message.slice(deviceId.length + 2).replace('set connection.trustOnFirstUse: true', 'add --trust-on-first-use');
      throw new GatewayError(message, { cause: err });
    }
    throw err;
  } finally {
    await pki.dispose().catch(() => undefined);
  }
  return 0;
}
