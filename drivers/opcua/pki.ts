/**
 * The gateway's OPC UA certificates and trust lists, all under `<dataDir>/pki` (node-opcua would
 * otherwise use a folder in the user's home). One store serves every OPC UA device:
 *   own/certs/client_certificate.pem   the gateway's certificate (created on first use)
 *   trusted/certs/                     server certificates the gateway accepts
 *   rejected/                          server certificates seen and refused (copy one to trusted/certs to accept it)
 *   trust-on-first-use/                which certificate each opted-in device pinned
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';

export interface OpcuaPki {
  readonly rootDir: string;
  readonly certificateManager: OPCUACertificateManager;
  /** the gateway's own certificate, to install in a server's trust list */
  readonly ownCertificateFile: string;
  readonly trustedDir: string;
  readonly rejectedDir: string;
  /** Creates the folders (idempotent). */
  initialize(): Promise<void>;
  /** The thumbprint a device pinned on first use, if it did. */
  pinnedThumbprint(deviceId: string): string | undefined;
  /**
   * Re-reads the trust lists if a server certificate was refused since the last call, so a
   * certificate an operator copied into trusted/certs counts at the next attempt.
   */
  refreshIfRefused(): Promise<void>;
  /** Notes that a server certificate was refused (see refreshIfRefused). */
  noteRefused(): void;
  /** Trusts `certificate` and pins it for `deviceId` (trust on first use). */
  trustOnFirstUse(deviceId: string, endpoint: string, certificate: Buffer): Promise<string>;
  dispose(): Promise<void>;
}

export function thumbprintOf(certificate: Buffer): string {
  return createHash('sha1').update(certificate).digest('hex');
}

export function createOpcuaPki(rootDir: string): OpcuaPki {
  const certificateManager = new OPCUACertificateManager({
    rootFolder: rootDir,
    // Unknown server certificates are refused and filed under rejected/; see trustOnFirstUse.
    automaticallyAcceptUnknownCertificate: false,
  });
  const pinDir = join(rootDir, 'trust-on-first-use');
  const pinFile = (deviceId: string) => join(pinDir, `${deviceId}.json`);
  let ready: Promise<void> | undefined;
  let refused = false;
  return {
    rootDir,
    certificateManager,
    ownCertificateFile: join(rootDir, 'own', 'certs', 'client_certificate.pem'),
    trustedDir: join(rootDir, 'trusted', 'certs'),
    rejectedDir: join(rootDir, 'rejected'),
    initialize() {
      ready ??= (async () => {
        mkdirSync(rootDir, { recursive: true });
        await certificateManager.initialize();
      })();
      return ready;
    },
    async refreshIfRefused() {
      if (!refused) return;
      refused = false;
      await certificateManager.reloadCertificates();
    },
    noteRefused() {
      refused = true;
    },
    pinnedThumbprint(deviceId) {
      try {
        return (JSON.parse(readFileSync(pinFile(deviceId), 'utf8')) as { thumbprint?: string }).thumbprint;
      } catch {
        return undefined;
      }
    },
    async trustOnFirstUse(deviceId, endpoint, certificate) {
      await certificateManager.trustCertificate(certificate);
      const thumbprint = thumbprintOf(certificate);
      mkdirSync(pinDir, { recursive: true });
      writeFileSync(pinFile(deviceId), `${JSON.stringify({ endpoint, thumbprint, trustedAt: new Date().toISOString() }, null, 2)}\n`);
      return thumbprint;
    },
    async dispose() {
      await certificateManager.dispose();
    },
  };
}
