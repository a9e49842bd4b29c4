/**
 * `gateway token create|list|revoke`: API tokens for the central EMS and scripts. The token is
 * printed once, alone on stdout (so `TOKEN=$(gateway token create ...)` works); only its hash is
 * kept. Works while the gateway runs: the auth database is shared through WAL, and the running
 * gateway sees a new or revoked token on the next request.
 */
import { join } from 'node:path';
import { loadSiteConfig } from '../../config/index.js';
import { GatewayError } from '../../core/errors.js';
import { ensurePrivateDir } from '../../gateway/private-files.js';
import { openAuthDb } from '../../gateway/auth/auth-db.js';
import { isRole } from '../../gateway/auth/roles.js';
import { createTokenStore, TOKEN_ROLES } from '../../gateway/auth/tokens.js';

export interface TokenCommandOptions {
  config?: string;
  /** instead of --config: the gateway's data folder */
  dataDir?: string;
  name?: string;
  role?: string;
}

export const TOKEN_USAGE = `gateway token create --name NAME --role ${TOKEN_ROLES.join('|')} (--config FILE | --data-dir DIR)
gateway token list (--config FILE | --data-dir DIR)
gateway token revoke --name NAME (--config FILE | --data-dir DIR)`;

export async function tokenCommand(action: string | undefined, opts: TokenCommandOptions): Promise<number> {
  if (action !== 'create' && action !== 'list' && action !== 'revoke') throw new GatewayError(`usage:\n${TOKEN_USAGE}`);
  const dataDir = opts.dataDir ?? (opts.config ? loadSiteConfig(opts.config).gateway.dataDir : undefined);
  if (!dataDir) throw new GatewayError(`\`gateway token ${action}\` needs --config FILE or --data-dir DIR`);
  // The same private folder the gateway keeps (0700); openAuthDb makes auth.db 0600.
  ensurePrivateDir(dataDir, (message) => process.stderr.write(`warning: ${message}\n`));
  const db = openAuthDb(join(dataDir, 'auth.db'));
  try {
    const tokens = createTokenStore(db);
    if (action === 'list') {
      const rows = tokens.list();
      if (rows.length === 0) process.stderr.write('no API tokens\n');
      for (const t of rows) {
        const used = t.lastUsedAt === null ? 'never used' : `last used ${new Date(t.lastUsedAt).toISOString()}`;
        process.stdout.write(`${t.name}\t${t.role}\t${t.hint}…\tcreated ${new Date(t.createdAt).toISOString()}\t${used}\n`);
      }
      return 0;
    }
    if (!opts.name) throw new GatewayError(`\`gateway token ${action}\` needs --name NAME`);
    if (action === 'revoke') {
      if (!tokens.revoke(opts.name)) throw new GatewayError(`no token named "${opts.name}"`);
      process.stderr.write(`token "${opts.name}" revoked\n`);
      return 0;
    }
    if (!isRole(opts.role)) throw new GatewayError(`--role must be one of ${TOKEN_ROLES.join(', ')}`);
    const { token, record } = tokens.create(opts.name, opts.role);
    process.stdout.write(`${token}\n`);
    process.stderr.write(`token "${record.name}" (role ${record.role}) created. Store it now: it cannot be shown again.\n`);
    return 0;
  } finally {
    db.close();
  }
}
