#!/usr/bin/env -S node --max-semi-space-size=1 --heap-growing-percent=20
/**
 * The `gateway` command. Parses arguments and turns every failure into a readable message.
 *
 * The node flags on the first line are part of the product, chosen by measurement on the 10 k-point
 * site with every feature on (test/bench/memory-components.ts):
 * - a 1 MiB young generation (V8's default reserves 16 MiB per semi-space), at a few scavenges per
 *   second;
 * - the old space allowed to grow 20 % over what the last major GC kept alive. V8's default lets it
 *   grow up to 4x when allocation is fast, so promoted garbage piled up to ~300 MB steady and ~380 MB
 *   peak before each major GC; at 20 % the same site holds ~170 MB steady and ~180 MB peak, for
 *   about 5 % more of a core in GC. Unlike a hard --max-old-space-size cap, a larger site cannot run
 *   out of heap because of this flag.
 * Whatever starts the gateway (npm scripts, the benchmarks, a service unit) uses the same flags (the
 * benchmarks read them from this line).
 *
 * Each command's module is imported only when that command runs: `gateway run` does not load the
 * simulator, the SNMP or OPC UA tools of `identify` and `browse`, or the account commands (every
 * module loaded before the page answers counts in the start-up time, issue 19 §6).
 */
import { parseArgs } from 'node:util';
import { ConfigError, errorMessage } from '../core/errors.js';
import { packageVersion } from './version.js';

const USAGE = `Usage: gateway <command> [options]

Commands:
  check --config FILE          validate a site config; prints every problem as file:line path: message
  run --config FILE            run the gateway (refuses to start on any config problem)
  reload --config FILE [--url URL] [--guard-s N]
                               apply FILE to the running gateway live (only what changed; nothing
                               changes on any problem; restart-only settings are refused by name);
                               a device going down within N s (default 60, 0: off) undoes it;
                               signs in through the data folder, or with GATEWAY_TOKEN (admin)
  demo [--config FILE]         run a simulated site and the gateway on it (config/demo.yaml)
  simulate --config FILE       simulate the equipment a config describes (no gateway)
  browse --endpoint URL [--user NAME] [--security MODE[/POLICY]] [--root PATH] [--yaml [--by-path]]
                               list an OPC UA server's variables (type, unit, value), or print a
                               points block; the password comes from OPCUA_PASSWORD (--password-env)
  identify --snmp HOST[:PORT] [--community C | --user U --auth-protocol P --auth-key K
           --priv-protocol P --priv-key K] [--version 1|2c|3] [--profile NAME]
                               ask an SNMP agent what it is, find the profiles that fit and print
                               a device block (the community may come from SNMP_COMMUNITY, v3
                               keys from SNMP_AUTH_KEY / SNMP_PRIV_KEY)
  scenario NAME on|off         start/end a demo scenario: power-failure, cooling-failure, hot-spot, crac-degrading
  profiles list [--config FILE]
                               list the equipment profiles (vendor, model, points, verified, source);
                               with --config, the site's own profiles/ folder too
  profiles show NAME [--config FILE]
                               one profile: header, source comment, points and alarm rules
  mqtt-passwd                  hash a password (read from stdin) for mqttBroker.users[].password
  token create --name NAME --role ROLE --config FILE
                               create an API token (roles: viewer, operator, ems, admin); printed once
  token list|revoke [--name NAME] --config FILE
                               list API tokens, or revoke one (--data-dir DIR instead of --config)
  user add --name NAME --role viewer|operator|admin --config FILE
                               add a web-page user; the password is asked for (hidden), piped on
                               stdin, or taken from GATEWAY_USER_PASSWORD
  user list|passwd|unlock|remove [--name NAME] --config FILE
                               list users, change a password, clear a lockout, remove a user

Options:
  --config, -c FILE            site config (YAML)
  --control-port N             scenario control port of the simulator (default 8091)
  --control URL                scenario control URL for \`scenario\` (default http://127.0.0.1:8091)
  browse: --data-dir DIR (certificates in DIR/pki, default ./data), --depth N (default 8),
          --trust-on-first-use (trust the server's certificate this once)
  --help, -h                   this text
  --version, -v                print the version
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: snmpVersionOption(argv),
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      'control-port': { type: 'string' },
      control: { type: 'string' },
      url: { type: 'string' },
      'guard-s': { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      'data-dir': { type: 'string' },
      endpoint: { type: 'string' },
      user: { type: 'string' },
      'password-env': { type: 'string' },
      security: { type: 'string' },
      root: { type: 'string' },
      depth: { type: 'string' },
      yaml: { type: 'boolean' },
      'by-path': { type: 'boolean' },
      'trust-on-first-use': { type: 'boolean' },
      snmp: { type: 'string' },
      community: { type: 'string' },
      'auth-protocol': { type: 'string' },
      'auth-key': { type: 'string' },
      'priv-protocol': { type: 'string' },
      'priv-key': { type: 'string' },
      'snmp-version': { type: 'string' },
      profile: { type: 'string' },
      'timeout-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  const controlPort = values['control-port'] === undefined ? undefined : Number(values['control-port']);
  if (controlPort !== undefined && !(Number.isInteger(controlPort) && controlPort > 0 && controlPort < 65536)) {
    throw new UsageError(`--control-port must be a port number, got "${values['control-port']}"`);
  }
  const needConfig = () => {
    if (!values.config) throw new UsageError(`\`gateway ${command}\` needs --config FILE`);
    return values.config;
  };
  switch (command) {
    case 'check':
      return (await import('./commands/check.js')).checkCommand(needConfig());
    case 'run':
      return (await import('./commands/run.js')).runCommand(needConfig());
    case 'reload': {
      const guardS = values['guard-s'] === undefined ? undefined : Number(values['guard-s']);
      if (guardS !== undefined && !(Number.isInteger(guardS) && guardS >= 0 && guardS <= 3600)) {
        throw new UsageError(`--guard-s must be whole seconds from 0 to 3600, got "${values['guard-s']}"`);
      }
      return (await import('./commands/reload.js')).reloadCommand(needConfig(), { url: values.url, guardS });
    }
    case 'demo':
      return (await import('./commands/demo.js')).demoCommand(values.config, controlPort);
    case 'simulate':
      return (await import('./commands/simulate.js')).simulateCommand(needConfig(), controlPort);
    case 'identify': {
      if (!values.snmp) throw new UsageError('`gateway identify` needs --snmp HOST[:PORT]');
      const timeoutMs = values['timeout-ms'] === undefined ? undefined : Number(values['timeout-ms']);
      if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) throw new UsageError(`--timeout-ms must be a whole number, got "${values['timeout-ms']}"`);
      return (await import('./commands/identify.js')).identifyCommand({
        target: values.snmp,
        version: values['snmp-version'],
        community: values.community,
        user: values.user,
        authProtocol: values['auth-protocol'],
        authKey: values['auth-key'],
        privProtocol: values['priv-protocol'],
        privKey: values['priv-key'],
        profile: values.profile,
        config: values.config,
        timeoutMs,
      });
    }
    case 'scenario': {
      const [name, state] = rest;
      if (!name || !state) throw new UsageError('usage: gateway scenario NAME on|off');
      return (await import('./commands/scenario.js')).scenarioCommand(name, state, values.control);
    }
    case 'profiles': {
      const [sub, name] = rest;
      if (sub === 'list' && !name) return (await import('./commands/profiles.js')).profilesCommand('list', undefined, values.config);
      if (sub === 'show' && name) return (await import('./commands/profiles.js')).profilesCommand('show', name, values.config);
      throw new UsageError('usage: gateway profiles list | gateway profiles show NAME');
    }
    case 'token':
      return (await import('./commands/token.js')).tokenCommand(rest[0], { config: values.config, dataDir: values['data-dir'], name: values.name, role: values.role });
    case 'user':
      return (await import('./commands/user.js')).userCommand(rest[0], { config: values.config, dataDir: values['data-dir'], name: values.name, role: values.role });
    case 'mqtt-passwd':
      return (await import('./commands/mqtt-passwd.js')).mqttPasswdCommand();
    case 'browse': {
      if (!values.endpoint) throw new UsageError('`gateway browse` needs --endpoint opc.tcp://HOST:PORT/PATH');
      const depth = values.depth === undefined ? undefined : Number(values.depth);
      if (depth !== undefined && !(Number.isInteger(depth) && depth >= 0)) throw new UsageError(`--depth must be a whole number, got "${values.depth}"`);
      return (await import('./commands/browse.js')).browseCommand({
        endpoint: values.endpoint,
        user: values.user,
        passwordEnv: values['password-env'],
        security: values.security,
        dataDir: values['data-dir'],
        root: values.root,
        depth,
        yaml: values.yaml,
        byPath: values['by-path'],
        trustOnFirstUse: values['trust-on-first-use'],
      });
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

/** `identify --version 2c` names the SNMP version, not this program's: read it as --snmp-version. */
function snmpVersionOption(argv: string[]): string[] {
  if (!argv.includes('identify')) return argv;
  return argv.map((a) => (a === '--version' ? '--snmp-version' : a.startsWith('--version=') ? `--snmp-version=${a.slice(10)}` : a));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n${err.problems.length} problem(s) in the config; nothing was started\n`);
      process.exit(1);
    }
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`gateway: ${errorMessage(err)}\n\n${USAGE}`);
      process.exit(2);
    }
    // A readable line, never a stack trace; set GATEWAY_DEBUG=1 for the full chain.
    process.stderr.write(`gateway: ${errorMessage(err)}\n`);
    if (process.env.GATEWAY_DEBUG) console.error(err);
    process.exit(1);
  },
);
