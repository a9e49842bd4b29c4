/**
 * HTTP push: `POST url` with the batch as JSON (gzip by default), the receiver answers 200
 * `{"ackSeq": N}`. Everything else is classified for the runner (see transport.ts).
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { errorMessage } from '../core/errors.js';
import { publicUrl, scrubUrls } from '../core/redact-url.js';
import type { Batch } from './batch.js';
import type { HttpTargetConfig } from './config-schema.js';
import type { SendOutcome, Transport } from './transport.js';

const gzip = promisify(gzipCb);
/** An ack is a few bytes; a receiver sending more is not speaking this protocol. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** Level 1: most of level 6's ratio on this repetitive JSON at a fraction of the CPU. */
const GZIP_LEVEL = 1;

export interface HttpTransportOptions {
  target: HttpTargetConfig;
  gatewayId: string;
  version: string;
  fetch?: typeof fetch;
}

export function createHttpTransport({ target, gatewayId, version, fetch: doFetch = fetch }: HttpTransportOptions): Transport {
  const baseHeaders: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': `facility-gateway/${version}`,
    'x-gateway-id': gatewayId,
  };
  if (target.gzip) baseHeaders['content-encoding'] = 'gzip';

  async function encode(batch: Batch): Promise<Buffer> {
    const raw = Buffer.from(batch.body, 'utf8');
    return target.gzip ? gzip(raw, { level: GZIP_LEVEL }) : raw;
  }

  async function send(batch: Batch, body: Buffer, signal: AbortSignal): Promise<SendOutcome> {
    const headers: Record<string, string> = {
      ...baseHeaders,
      'x-sync-stream': batch.stream,
      'x-sync-from-seq': String(batch.fromSeq),
      'x-sync-to-seq': String(batch.toSeq),
      // The same range always gets the same key, so a proxy or receiver may dedup resends by it.
      'idempotency-key': `${gatewayId}:${batch.stream}:${batch.fromSeq}-${batch.toSeq}`,
    };
    // Revealed here and only here; never logged (the logger also redacts `token` fields).
    if (target.token) headers.authorization = `Bearer ${target.token.reveal()}`;
    const wireBytes = body.length;
    // One controller per request, released afterwards: AbortSignal.any/timeout on a long-lived
    // signal would pile up listeners over millions of batches.
    const request = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, target.timeoutMs);
    const onStop = () => request.abort();
    signal.addEventListener('abort', onStop, { once: true });
    let res: Response;
    let text: string;
    try {
      res = await doFetch(target.url, { method: 'POST', headers, body, redirect: 'manual', signal: request.signal });
      text = await readCapped(res, MAX_ANSWER_BYTES);
    } catch (err) {
      if (signal.aborted) return { ok: false, kind: 'retry', message: 'stopped', wireBytes };
      const cause = (err as { cause?: unknown }).cause;
      const why = timedOut ? `no answer within ${target.timeoutMs} ms` : errorMessage(cause ?? err);
      // fetch's own messages may quote the whole URL ("... a URL that includes credentials: http://u:p@...").
      return { ok: false, kind: 'retry', message: `POST ${publicUrl(target.url)}: ${scrubUrls(why)}`, wireBytes };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onStop);
    }
    const status = res.status;
    const snippet = () => (text.trim() ? `: ${scrubUrls(text.trim().slice(0, 200))}` : '');
    if (status === 200) {
      const ackSeq = parseAck(text);
      if (ackSeq === undefined) {
        return { ok: false, kind: 'retry', status, message: `receiver answered 200 without a valid {"ackSeq": N}${snippet()}`, wireBytes };
      }
      return { ok: true, ackSeq, wireBytes };
    }
    const message = `receiver answered HTTP ${status}${snippet()}`;
    if (status === 401 || status === 403) return { ok: false, kind: 'auth', status, message, wireBytes };
    if (status === 413) return { ok: false, kind: 'too-large', status, message, wireBytes };
    if (status === 408 || status === 425 || status === 429 || status >= 500) {
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      return { ok: false, kind: 'retry', status, message, wireBytes, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    }
    const where = status >= 300 && status < 400 ? ` (redirected to ${redirectedTo(res.headers.get('location'), target.url)}; set the url to it)` : '';
    return { ok: false, kind: 'rejected', status, message: `${message}${where}`, wireBytes };
  }

  return { encode, send, close: async () => {} };
}

async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > max) break;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseAck(text: string): number | undefined {
  try {
    const ack = (JSON.parse(text) as { ackSeq?: unknown })?.ackSeq;
    return typeof ack === 'number' && Number.isSafeInteger(ack) && ack >= 0 ? ack : undefined;
  } catch {
    return undefined;
  }
}

/** `Retry-After` in seconds or as an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Where a redirect points, reduced like every shown URL (its path or query may carry a credential). */
function redirectedTo(location: string | null, base: string): string {
  if (!location) return '?';
  try {
    return publicUrl(new URL(location, base).href);
  } catch {
    return '?';
  }
}
