/**
 * `gateway user add|list|passwd|unlock|remove`: web-page users. The password never appears on the
 * command line (it would sit in the shell history and the process list): it is typed at a hidden
 * prompt, piped on stdin, or taken from GATEWAY_USER_PASSWORD. Works while the gateway runs (the
 * auth database is shared through WAL).
 */
import { join } from 'node:path';
import { loadSiteConfig } from '../../config/index.js';
import { openAuthDb } from '../../gateway/auth/auth-db.js';
import { passwordProblem } from '../../gateway/auth/password.js';
import { isUserRole } from '../../gateway/auth/roles.js';
import { USER_ROLES } from '../../gateway/auth/types.js';
import { createUserStore } from '../../gateway/auth/user-store.js';
import { GatewayError } from '../../core/errors.js';
import { ensurePrivateDir } from '../../gateway/private-files.js';

export interface UserCommandOptions {
  config?: string;
  dataDir?: string;
  name?: string;
  role?: string;
}

export const USER_USAGE = `gateway user add --name NAME --role ${USER_ROLES.join('|')} (--config FILE | --data-dir DIR)
gateway user passwd --name NAME (--config FILE | --data-dir DIR)
gateway user list | unlock --name NAME | remove --name NAME (--config FILE | --data-dir DIR)
The password is asked for (hidden), read from stdin when piped, or taken from GATEWAY_USER_PASSWORD.`;

/** Reads one line without echo on a terminal. */
function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  return new Promise((resolve, reject) => {
    process.stderr.write(question);
    let text = '';
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    const done = (err?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new GatewayError('cancelled'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    input.on('data', onData);
  });
}

async function readStdinLine(): Promise<string> {
  let data = '';
  for await (const chunk of process.stdin) {
    data += chunk;
    if (data.includes('\n')) break;
  }
  return data.split(/\r?\n/)[0] ?? '';
}

export async function readNewPassword(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  let password: string;
  if (env.GATEWAY_USER_PASSWORD) password = env.GATEWAY_USER_PASSWORD;
  else if (process.stdin.isTTY) {
    password = await promptHidden('Password: ');
    const problem = passwordProblem(password);
    if (problem) throw new GatewayError(problem);
    if ((await promptHidden('Repeat the password: ')) !== password) throw new GatewayError('the passwords differ');
  } else password = await readStdinLine();
  const problem = passwordProblem(password);
  if (problem) throw new GatewayError(problem);
  return password;
}

export async function userCommand(action: string | undefined, opts: UserCommandOptions): Promise<number> {
  const actions = ['add', 'list', 'passwd', 'unlock', 'remove'];
  if (!action || !actions.includes(action)) throw new GatewayError(`usage:\n${USER_USAGE}`);
  const dataDir = opts.dataDir ?? (opts.config ? loadSiteConfig(opts.config).gateway.dataDir : undefined);
  if (!dataDir) throw new GatewayError(`\`gateway user ${action}\` needs --config FILE or --data-dir DIR`);
  // The same private folder the gateway keeps (0700); openAuthDb makes auth.db 0600.
  ensurePrivateDir(dataDir, (message) => process.stderr.write(`warning: ${message}\n`));
  const db = openAuthDb(join(dataDir, 'auth.db'));
  try {
    const users = createUserStore(db);
    if (action === 'list') {
      const rows = users.list();
      if (rows.length === 0) process.stderr.write('no users\n');
      for (const u of rows) {
        const last = u.lastLoginAt === null ? 'never logged in' : `last login ${new Date(u.lastLoginAt).toISOString()}`;
        const locked = u.lockedUntil !== null && u.lockedUntil > Date.now() ? '\tLOCKED' : '';
        process.stdout.write(`${u.name}\t${u.role}\t${last}${locked}\n`);
      }
      return 0;
    }
    const name = opts.name;
    if (!name) throw new GatewayError(`\`gateway user ${action}\` needs --name NAME`);
    switch (action) {
      case 'add': {
        if (!isUserRole(opts.role)) throw new GatewayError(`--role must be one of ${USER_ROLES.join(', ')}`);
        if (users.get(name)) throw new GatewayError(`user "${name}" already exists (change the password with \`gateway user passwd\`)`);
        const user = await users.add(name, await readNewPassword(), opts.role);
        process.stderr.write(`user "${user.name}" (${user.role}) added\n`);
        return 0;
      }
      case 'passwd':
        if (!users.get(name)) throw new GatewayError(`no user "${name}"`);
        await users.setPassword(name, await readNewPassword());
        process.stderr.write(`password of "${name}" changed; their sessions are ended\n`);
        return 0;
      case 'unlock':
        users.unlock(name);
        process.stderr.write(`"${name}" unlocked\n`);
        return 0;
      default:
        users.remove(name);
        process.stderr.write(`user "${name}" removed\n`);
        return 0;
    }
  } finally {
    db.close();
  }
}
