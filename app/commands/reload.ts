/**
 * `gateway reload --config FILE`: asks the running gateway to apply FILE live (POST /api/v1/config).
 * The file is checked here first (the same output as `gateway check`), then by the gateway, which
 * changes nothing on any problem and refuses, by name, what needs a restart.
 *
 * It authenticates like the other commands that work beside a running gateway: through the data
 * folder. It creates an admin API token in auth.db for this one request and revokes it after, so
 * whoever may run `gateway token` may reload, and no token lies around. GATEWAY_TOKEN (an admin
 * token) is used instead when set, e.g. to reload a gateway on another machine with --url.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSiteConfig } from '../../config/index.js';
import type { SiteConfig } from '../../config/types.js';
import { formatProblem, GatewayError } from '../../core/errors.js';
import { openAuthDb } from '../../gateway/auth/auth-db.js';
import { createTokenStore } from '../../gateway/auth/tokens.js';

export interface ReloadOptions {
  /** the gateway's base URL (default: from the file's http section, on loopback) */
  url?: string;
  /** seconds the gateway watches the devices after the apply (its default: 60; 0: not at all) */
  guardS?: number;
  env?: NodeJS.ProcessEnv;
}

interface ReloadReply {
  applied?: boolean;
  unchanged?: boolean;
  version?: number | null;
  summary?: string[];
  refusals?: string[];
  problems?: Array<{ text: string }>;
  error?: { code: string; message: string };
}

export async function reloadCommand(file: string, { url, guardS, env = process.env }: ReloadOptions = {}): Promise<number> {
  const { config, problems } = checkSiteConfig(file);
  if (!config) {
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${problems.length} problem(s) in the config; nothing changed\n`);
    return 1;
  }
  const text = readFileSync(file, 'utf8');
  const base = url ?? localUrl(config);
  const given = env.GATEWAY_TOKEN || undefined;
  const temporary = given ? undefined : temporaryToken(config.gateway.dataDir);
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/config${guardS === undefined ? '' : `?guardS=${guardS}`}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${given ?? temporary!.token}`, 'content-type': 'application/yaml' },
      body: text,
    });
  } catch (err) {
    throw new GatewayError(`no gateway answers at ${base} (is \`gateway run\` running?)`, { cause: err });
  } finally {
    temporary?.revoke();
  }
  const reply = (await res.json().catch(() => ({}))) as ReloadReply;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const err = (line: string) => process.stderr.write(`${line}\n`);
  if (res.status === 422 && reply.problems) {
    for (const p of reply.problems) err(p.text);
    err(`${reply.problems.length} problem(s) in the config; nothing changed`);
    return 1;
  }
  if (res.status === 409 && reply.refusals) {
    for (const r of reply.refusals) err(r);
    err('not applied live; nothing changed');
    return 1;
  }
  if (!res.ok) throw new GatewayError(reply.error?.message ?? `the gateway answered HTTP ${res.status}`);
  if (reply.unchanged) {
    out('no change: the running config is the same');
    return 0;
  }
  for (const line of reply.summary ?? []) out(line);
  out(`applied${reply.version ? ` as version ${reply.version}` : ''}`);
  return 0;
}

/** The listener on this machine: a wildcard address is reached on loopback. */
function localUrl(config: SiteConfig): string {
  const host = ['0.0.0.0', '::', ''].includes(config.http.host) ? '127.0.0.1' : config.http.host;
  const scheme = config.http.tls ? 'https' : 'http';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`;
}

function temporaryToken(dataDir: string): { token: string; revoke(): void } {
  let db: ReturnType<typeof openAuthDb>;
  try {
    db = openAuthDb(join(dataDir, 'auth.db'));
  } catch (err) {
    throw new GatewayError(`cannot open the gateway's user database in ${dataDir} (run as the gateway's user, or set GATEWAY_TOKEN)`, { cause: err });
  }
  const tokens = createTokenStore(db);
  const name = `reload-${process.pid}-${Date.now()}`;
  try {
    const { token } = tokens.create(name, 'admin');
    return {
      token,
      revoke() {
        tokens.revoke(name);
        db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
