/**
 * One poll of the central config source: GET the URL with the token and the last ETag. A 304 means
 * the text did not change; a 200 brings the whole site file. The body is read up to a bound (the
 * API's site-file limit) and the request is abandoned at a timeout, so a wrong or hostile server
 * can neither fill the memory nor hold the poller forever. Errors name the host, never the token
 * nor the URL's path.
 */
import { publicUrl } from '../../core/redact-url.js';
import type { Secret } from '../../core/secret.js';

export type CentralFetchResult = { kind: 'not-modified' } | { kind: 'text'; text: string; etag: string | null };

export interface CentralFetchOptions {
  url: string;
  token: Secret;
  /** the ETag of the last text received, sent as If-None-Match */
  etag?: string | null;
  timeoutMs: number;
  maxBytes: number;
  /** aborts the request (the poller stopping) */
  signal?: AbortSignal;
}

/** A failed poll: `status` when the server answered, else the network or timeout failed. */
export class CentralFetchError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CentralFetchError';
  }
}

export async function fetchCentralConfig(options: CentralFetchOptions): Promise<CentralFetchResult> {
  const where = publicUrl(options.url);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.token.reveal()}`,
    accept: 'application/yaml, text/yaml, text/plain;q=0.9, */*;q=0.1',
  };
  if (options.etag) headers['if-none-match'] = options.etag;
  let res: Response;
  try {
    // A redirect would carry the token to wherever it points: the URL must be the final one.
    res = await fetch(options.url, { headers, signal, redirect: 'error' });
  } catch (err) {
    throw new CentralFetchError(`${where}: ${failure(err, timeout, options.timeoutMs)}`);
  }
  if (res.status === 304) {
    await res.body?.cancel();
    return { kind: 'not-modified' };
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new CentralFetchError(`${where} answered HTTP ${res.status}`, res.status);
  }
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > options.maxBytes) {
    await res.body?.cancel();
    throw new CentralFetchError(`${where}: the config is ${declared} bytes, more than the ${options.maxBytes} a site file may have`, res.status);
  }
  let text: string;
  try {
    text = await readBounded(res, options.maxBytes);
  } catch (err) {
    if (err instanceof CentralFetchError) throw new CentralFetchError(`${where}: ${err.message}`, res.status);
    throw new CentralFetchError(`${where}: ${failure(err, timeout, options.timeoutMs)}`, res.status);
  }
  return { kind: 'text', text, etag: res.headers.get('etag') };
}

/** The body as UTF-8 text, stopping (and dropping the connection) past `maxBytes`. */
async function readBounded(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new CentralFetchError(`the config is more than the ${maxBytes} bytes a site file may have`);
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new CentralFetchError('the config is not UTF-8 text');
  }
}

/** Why a request failed, in a few words (the cause's code, not undici's "fetch failed"). */
function failure(err: unknown, timeout: AbortSignal, timeoutMs: number): string {
  if (timeout.aborted) return `no answer within ${timeoutMs} ms`;
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'AbortError') return 'stopped';
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
