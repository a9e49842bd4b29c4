import { loadSiteConfig } from '../../config/index.js';
import { startGateway } from '../start-gateway.js';
import { packageVersion } from '../version.js';
import { cliLogger, DEFAULT_CONTROL_PORT, demoConfigPath, untilSignal } from './shared.js';
import { startSimulation } from './simulate.js';

/** `gateway demo`: the simulated site and the gateway on it, in one process. */
export async function demoCommand(file = demoConfigPath(), controlPort = DEFAULT_CONTROL_PORT): Promise<number> {
  const config = loadSiteConfig(file);
  const logger = cliLogger(config.gateway.logLevel);
  const simulation = await startSimulation(config, controlPort, logger.child({ component: 'simulator' }));
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway(config, { logger, version: packageVersion() });
  } catch (err) {
    await simulation.stop();
    throw err;
  }
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  process.stdout.write(
    [
      '',
      `  Demo site running. Dashboard: http://${host}:${gateway.port}/`,
      `  API:       http://${host}:${gateway.port}/api/v1/points`,
      '  Scenarios: npm run scenario power-failure on   (or cooling-failure; "off" ends it)',
      '  Stop:      Ctrl-C',
      '',
    ].join('\n'),
  );
  await untilSignal();
  await gateway.stop();
  await simulation.stop();
  return 0;
}
