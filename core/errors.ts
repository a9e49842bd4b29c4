/** Error classes. Each chains its `cause`; log an error once, where it is handled. */

export class GatewayError extends Error {
  override name = 'GatewayError';
}

/** One problem in a configuration file, located for a human. */
export interface ConfigProblem {
  file: string;
  /** 1-based line; 0 when unknown */
  line: number;
  /** e.g. `devices[2].points[5].address` ('' for the whole file) */
  path: string;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}` : p.file;
  return p.path ? `${where} ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

export class ConfigError extends GatewayError {
  override name = 'ConfigError';
  constructor(
    readonly problems: ConfigProblem[],
    options?: ErrorOptions,
  ) {
    super(problems.map(formatProblem).join('\n'), options);
  }
}

/** A link or device fault (not a point fault: those are bad-quality samples). */
export class DriverError extends GatewayError {
  override name = 'DriverError';
  constructor(
    message: string,
    readonly deviceId: string,
    /** what a sample would say about it: `timeout`, `comm`, ... */
    readonly reason: string,
    /** false when retrying cannot help without a config change (e.g. wrong serial port) */
    readonly retryable = true,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
