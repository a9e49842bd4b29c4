/**
 * node-opcua prints its warnings and errors straight to the console. Routed into our logger at
 * debug level: the driver reports what matters (as DriverErrors) once, in our format.
 * The routing is process-wide in node-opcua, so the composition root calls this once.
 */
import { setErrorLogger, setWarningLogger } from 'node-opcua';
import type { Logger } from '../../core/logger.js';

export function routeLibraryLogs(logger: Logger): void {
  const text = (args: unknown[]) =>
    args
      // node-opcua passes a context object first; only the text helps
      .flatMap((a) => (typeof a === 'string' ? [a] : a instanceof Error ? [a.message] : typeof a === 'object' ? [] : [String(a)]))
      .join(' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 500);
  setWarningLogger((...args: unknown[]) => logger.debug('node-opcua warning', { detail: text(args) }));
  setErrorLogger((...args: unknown[]) => logger.debug('node-opcua error', { detail: text(args) }));
}
