import { loadSiteConfig } from '../../config/index.js';
import { startGateway } from '../start-gateway.js';
import { packageVersion } from '../version.js';
import { cliLogger, untilSignal } from './shared.js';

/** `gateway run --config FILE`: refuses to start on any config problem (ConfigError). */
export async function runCommand(file: string): Promise<number> {
  const config = loadSiteConfig(file);
  const logger = cliLogger(config.gateway.logLevel);
  // Listen before starting: a stop asked for during start-up still ends in a clean stop.
  const stopRequested = untilSignal();
  const gateway = await startGateway(config, { logger, version: packageVersion() });
  // SIGHUP re-reads the site file and applies what changed (the outcome is logged by the gateway).
  const onHangup = () => {
    gateway.reload().catch((err: unknown) => logger.error('config reload failed', { error: err }));
  };
  process.on('SIGHUP', onHangup);
  const signal = await stopRequested;
  process.off('SIGHUP', onHangup);
  logger.info('stopping', { signal });
  await gateway.stop();
  return 0;
}
