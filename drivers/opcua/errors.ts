/**
 * node-opcua's failures as DriverErrors a person can act on. Login and certificate problems do not
 * heal by retrying at once (the sampler still retries them with backoff, since an operator may fix
 * the server side), so they are marked not retryable and say what to do.
 */
import { DriverError, errorMessage } from '../../core/errors.js';

export interface ErrorContext {
  deviceId: string;
  endpoint: string;
  username?: string;
  /** `<dataDir>/pki` */
  pkiDir: string;
  securityMode: string;
  securityPolicy: string;
}

const STATUS = /\b((?:Bad|Uncertain)[A-Za-z]+)\b/;

/** The first OPC UA status name in a message, if any. */
export function statusNameIn(message: string): string | undefined {
  return STATUS.exec(message)?.[1];
}

export function classifyOpcuaError(err: unknown, ctx: ErrorContext): DriverError {
  if (err instanceof DriverError) return err;
  const raw = errorMessage(err);
  const status = statusNameIn(raw);
  const make = (message: string, reason: string, retryable: boolean) =>
    new DriverError(`${ctx.deviceId}: ${message}`, ctx.deviceId, reason, retryable, { cause: err });
  const at = ctx.endpoint;

  if (/BadUserAccessDenied|BadIdentityTokenInvalid|BadIdentityTokenRejected/.test(raw)) {
    const who = ctx.username ? `user "${ctx.username}"` : 'anonymous login';
    return make(`${at} refused ${who} (${status}): check the username and the password`, 'auth', false);
  }
  if (/Cannot find ANONYMOUS user token policy/i.test(raw)) {
    return make(`${at} does not allow anonymous login: set connection.username and connection.password`, 'auth', false);
  }
  if (/server Certificate verification failed/i.test(raw)) {
    const why = status ?? 'untrusted';
    return make(
      `the server certificate of ${at} is not trusted (${why}): move it from ${ctx.pkiDir}/rejected to ` +
        `${ctx.pkiDir}/trusted/certs, or set connection.trustOnFirstUse: true`,
      'certificate',
      false,
    );
  }
  if (/rejected by server/i.test(raw) && /BadSecurityChecksFailed|BadCertificate/.test(raw)) {
    return make(
      `${at} rejected the gateway's certificate (${status}): add ${ctx.pkiDir}/own/certs/client_certificate.pem ` +
        "to the server's trusted certificates",
      'certificate',
      false,
    );
  }
  if (/Cannot find an Endpoint matching|End point must exist|BadSecurityPolicyRejected|BadSecurityModeRejected/i.test(raw)) {
    return make(
      `${at} offers no endpoint with securityMode ${ctx.securityMode} and securityPolicy ${ctx.securityPolicy} ` +
        '(`gateway browse --endpoint URL` lists what it offers)',
      'config',
      false,
    );
  }
  if (/to collect server's certificate|The connection cannot be established|ECONNREFUSED/.test(raw)) {
    return make(`${at}: cannot connect (${/ECONNREFUSED/.test(raw) ? 'connection refused' : 'no answer'}): is the server up and the endpoint right?`, 'comm', true);
  }
  if (/BadTooManySessions/.test(raw)) return make(`${at} has no session left (BadTooManySessions)`, 'comm', true);
  if (/BadTimeout|timed? ?out|ETIMEDOUT/i.test(raw)) return make(`${at}: no answer in time (${shortCause(raw)})`, 'timeout', true);
  return make(`${at}: ${shortCause(raw)}`, 'comm', true);
}

/** node-opcua's connection messages span lines; the cause in brackets is the useful part. */
function shortCause(message: string): string {
  const inner = /Err = \((.+?)\)\s*$/s.exec(message);
  const text = inner ? inner[1]! : message;
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
