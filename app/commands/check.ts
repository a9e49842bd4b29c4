import { checkSiteConfig } from '../../config/index.js';
import { formatProblem } from '../../core/errors.js';

/** `gateway check --config FILE`: every problem, one per line; exit code 1 when any. */
export function checkCommand(file: string): number {
  const { config, problems } = checkSiteConfig(file);
  if (problems.length > 0 || !config) {
    for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
    process.stdout.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} found\n`);
    return 1;
  }
  const points = config.devices.reduce((n, d) => n + d.points.length, 0);
  process.stdout.write(`${file}: ok (${config.devices.length} devices, ${points} points)\n`);
  return 0;
}
