#!/usr/bin/env node
/** The `gateway` command. Parses arguments and turns every failure into a readable message. */
import { parseArgs } from 'node:util';
import { checkCommand } from './commands/check.js';
import { demoCommand } from './commands/demo.js';
import { runCommand } from './commands/run.js';
import { scenarioCommand } from './commands/scenario.js';
import { simulateCommand } from './commands/simulate.js';
import { ConfigError, errorMessage } from './errors.js';
import { packageVersion } from './version.js';

const USAGE = `Usage: gateway <command> [options]

Commands:
  check --config FILE          validate a site config; prints every problem as file:line path: message
  run --config FILE            run the gateway (refuses to start on any config problem)
  demo [--config FILE]         run a simulated site and the gateway on it (config/demo.yaml)
  simulate --config FILE       simulate the equipment a config describes (no gateway)
  scenario NAME on|off         start/end a demo scenario: power-failure, cooling-failure

Options:
  --config, -c FILE            site config (YAML)
  --control-port N             scenario control port of the simulator (default 8091)
  --control URL                scenario control URL for \`scenario\` (default http://127.0.0.1:8091)
  --help, -h                   this text
  --version, -v                print the version
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      'control-port': { type: 'string' },
      control: { type: 'string' },
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
      return checkCommand(needConfig());
    case 'run':
      return runCommand(needConfig());
    case 'demo':
      return demoCommand(values.config, controlPort);
    case 'simulate':
      return simulateCommand(needConfig(), controlPort);
    case 'scenario': {
      const [name, state] = rest;
      if (!name || !state) throw new UsageError('usage: gateway scenario NAME on|off');
      return scenarioCommand(name, state, values.control);
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

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
