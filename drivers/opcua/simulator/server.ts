/**
 * An OPC UA server (node-opcua) for the simulated site, tests and benchmarks. Its certificates
 * live under `pkiDir` (server and user certificate managers each get a folder, so nothing is
 * written to the user's home).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AddressSpace,
  MessageSecurityMode,
  type Namespace,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  type UAObject,
} from 'node-opcua';
import type { OpcuaSecurityMode } from '../point.js';

export type AddressSpaceBuilder = (ctx: { addressSpace: AddressSpace; namespace: Namespace; objects: UAObject }) => void;

export interface OpcuaServerOptions {
  port: number;
  /** default 127.0.0.1 */
  host?: string;
  /** the endpoint's path, e.g. `/UA/Site` (default none) */
  resourcePath?: string;
  /** the server's own certificate store (created when missing) */
  pkiDir: string;
  /** default: None, Sign and SignAndEncrypt */
  securityModes?: OpcuaSecurityMode[];
  /** user name → password; when set, anonymous login is refused unless allowAnonymous */
  users?: Record<string, string>;
  allowAnonymous?: boolean;
  /** accept any client certificate (default true); false: only those in `<pkiDir>/server/trusted/certs` */
  trustAnyClient?: boolean;
  maxSessions?: number;
  build?: AddressSpaceBuilder;
}

export interface RunningOpcuaServer {
  readonly server: OPCUAServer;
  readonly endpoint: string;
  readonly port: number;
  readonly addressSpace: AddressSpace;
  readonly namespace: Namespace;
  /** the server's own certificate (DER), e.g. to put in a client's trust list */
  readonly certificateFile: string;
  sessionCount(): number;
  stop(): Promise<void>;
}

const POLICIES = [
  SecurityPolicy.None,
  SecurityPolicy.Basic256Sha256,
  SecurityPolicy.Aes128_Sha256_RsaOaep,
  SecurityPolicy.Aes256_Sha256_RsaPss,
];

const MODES: Record<OpcuaSecurityMode, MessageSecurityMode> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};

export async function startOpcuaServer(options: OpcuaServerOptions): Promise<RunningOpcuaServer> {
  const serverPki = join(options.pkiDir, 'server');
  const userPki = join(options.pkiDir, 'users');
  mkdirSync(serverPki, { recursive: true });
  mkdirSync(userPki, { recursive: true });
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: serverPki,
    automaticallyAcceptUnknownCertificate: options.trustAnyClient ?? true,
  });
  const userCertificateManager = new OPCUACertificateManager({ rootFolder: userPki, automaticallyAcceptUnknownCertificate: false });
  const users = options.users;
  const modes = (options.securityModes ?? ['None', 'Sign', 'SignAndEncrypt']).map((m) => MODES[m]);
  const server = new OPCUAServer({
    port: options.port,
    hostname: options.host ?? '127.0.0.1',
    resourcePath: options.resourcePath ?? '',
    serverCertificateManager,
    userCertificateManager,
    securityModes: modes,
    securityPolicies: POLICIES.filter((p) =>
      p === SecurityPolicy.None ? modes.includes(MessageSecurityMode.None) : modes.some((m) => m !== MessageSecurityMode.None),
    ),
    allowAnonymous: options.allowAnonymous ?? users === undefined,
    userManager: users ? { isValidUser: (name: string, password: string) => users[name] === password } : undefined,
    serverCapabilities: { maxSessions: options.maxSessions ?? 20 },
    buildInfo: { productName: 'Facility gateway simulated OPC UA server', manufacturerName: 'facility-gateway' },
    serverInfo: { applicationName: { text: 'Facility gateway simulator' } },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace!;
  const namespace = addressSpace.getOwnNamespace();
  options.build?.({ addressSpace, namespace, objects: addressSpace.rootFolder.objects });
  await server.start();
  const endpoint = `opc.tcp://${options.host ?? '127.0.0.1'}:${options.port}${options.resourcePath ?? ''}`;
  let stopping: Promise<void> | undefined;
  return {
    server,
    endpoint,
    port: options.port,
    addressSpace,
    namespace,
    certificateFile: server.certificateFile,
    sessionCount: () => server.currentSessionCount,
    stop() {
      stopping ??= server.shutdown(0);
      return stopping;
    },
  };
}
