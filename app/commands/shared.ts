import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger, type LogLevel } from '../../core/logger.js';

export const DEFAULT_CONTROL_PORT = 8091;

export function cliLogger(level: LogLevel = 'info'): Logger {
  return createLogger({ level, pretty: process.stderr.isTTY === true });
}

/** The package folder, from both the TS sources and dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The demo config, named relative to where the user stands so messages stay short. */
export function demoConfigPath(): string {
  const file = join(packageRoot(), 'config', 'demo.yaml');
  return relative(process.cwd(), file) || file;
}

/** Resolves when the process is asked to stop (Ctrl-C, service manager). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
