/**
 * Every request body is capped before any route reads it: a declared Content-Length over the
 * limit is answered 413 at once, and a chunked body is counted as it arrives and cut off at the
 * limit, so no client can make the gateway buffer megabytes (before or after logging in). The
 * connection is closed with the answer, so the rest of a large body is never read.
 *
 * Bodies the app takes are small (the login form and JSON login, alarm actions ({comment}), user and
 * token admin forms, the sync pull ack ({target, stream, seq})), except a whole site file posted to
 * the live config API: that one path has a limit of its own, still bounded.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { jsonError } from './errors.js';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

function limitOf(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      c.header('Connection', 'close');
      return jsonError(c, 413, 'payload-too-large', `the request body is larger than ${maxBytes} bytes`);
    },
  });
}

/**
 * `larger`: exact paths that take bigger bodies (the live config API's site file). `maxBytes` as
 * a function is read on every request (`http.maxBodyKB` changed live); the limits are remade only
 * when it gives another number.
 */
export function bodyLimits(maxBytes: number | (() => number) = DEFAULT_MAX_BODY_BYTES, larger: Readonly<Record<string, number>> = {}): MiddlewareHandler {
  const current = typeof maxBytes === 'number' ? () => maxBytes : maxBytes;
  let made: { bytes: number; standard: MiddlewareHandler; byPath: Map<string, MiddlewareHandler> } | undefined;
  const limits = () => {
    const bytes = current();
    if (made?.bytes !== bytes) {
      made = { bytes, standard: limitOf(bytes), byPath: new Map(Object.entries(larger).map(([path, b]) => [path, limitOf(Math.max(b, bytes))])) };
    }
    return made;
  };
  return (c, next) => {
    const { standard, byPath } = limits();
    return (byPath.get(c.req.path) ?? standard)(c, next);
  };
}
