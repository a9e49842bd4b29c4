/**
 * One HTTP POST to a time-series database and the common reading of its answer: 2xx is an ack,
 * 401/403 auth, 413 too large, 408/429/5xx retry, anything else rejected. The engine-specific
 * answers (out-of-order samples, a missing database) are recognised by the transports from `text`.
 */
import { errorMessage } from '../../core/errors.js';
import { publicUrl, scrubUrls } from '../../core/redact-url.js';
import type { Secret } from '../../core/secret.js';
import { parseRetryAfter } from '../http-transport.js';
import type { SendOutcome } from '../transport.js';

/** Error answers are short; a receiver sending more is cut off here. */
const MAX_ANSWER_BYTES = 64 * 1024;

export interface PostRequest {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  timeoutMs: number;
  /** the runner's stop signal */
  signal: AbortSignal;
  fetch?: typeof fetch;
}

export type PostResult =
  | { answered: true; status: number; text: string; retryAfterMs?: number }
  | { answered: false; outcome: Extract<SendOutcome, { ok: false }> };

/** `Authorization` for basic (username + password) or a token with the engine's scheme word. */
export function authorization(auth: { username?: string | undefined; password?: Secret | undefined; token?: Secret | undefined }, tokenScheme: 'Bearer' | 'Token'): Record<string, string> {
  // Revealed here and only here; never logged (the logger also redacts `token`/`password` fields).
  if (auth.token) return { authorization: `${tokenScheme} ${auth.token.reveal()}` };
  if (auth.username && auth.password) return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password.reveal()}`).toString('base64')}` };
  return {};
}

export async function post(req: PostRequest): Promise<PostResult> {
  const doFetch = req.fetch ?? fetch;
  const wireBytes = req.body.length;
  // One controller per request (see http-transport.ts: no listeners piling up on the long-lived signal).
  const request = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    request.abort();
  }, req.timeoutMs);
  const onStop = () => request.abort();
  req.signal.addEventListener('abort', onStop, { once: true });
  try {
    const res = await doFetch(req.url, { method: 'POST', headers: req.headers, body: req.body, redirect: 'manual', signal: request.signal });
    const text = await readCapped(res);
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    return { answered: true, status: res.status, text, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  } catch (err) {
    if (req.signal.aborted) return { answered: false, outcome: { ok: false, kind: 'retry', message: 'stopped', wireBytes } };
    const cause = (err as { cause?: unknown }).cause;
    const why = timedOut ? `no answer within ${req.timeoutMs} ms` : errorMessage(cause ?? err);
    return { answered: false, outcome: { ok: false, kind: 'retry', message: `POST ${publicUrl(req.url)}: ${scrubUrls(why)}`, wireBytes } };
  } finally {
    clearTimeout(timer);
    req.signal.removeEventListener('abort', onStop);
  }
}

/** The generic classification of a non-2xx answer; `engine` names the receiver in the message. */
export function failureOf(engine: string, status: number, text: string, wireBytes: number, retryAfterMs?: number): Extract<SendOutcome, { ok: false }> {
  const snippet = text.trim() ? `: ${scrubUrls(text.trim().slice(0, 300))}` : '';
  const message = `${engine} answered HTTP ${status}${snippet}`;
  if (status === 401 || status === 403) return { ok: false, kind: 'auth', status, message: `${message} (check username/password or token)`, wireBytes };
  if (status === 413) return { ok: false, kind: 'too-large', status, message, wireBytes };
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    return { ok: false, kind: 'retry', status, message, wireBytes, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  return { ok: false, kind: 'rejected', status, message, wireBytes };
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) break;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
