/**
 * URLs as the gateway may show or log them: `scheme://host:port`, nothing more. A webhook's path
 * and query often are its secret (`/services/T0/B0/xyz`, `?token=`), and `user:password@` is one
 * by definition, so health, the system page, errors and log lines keep only where it goes.
 * Used by the logger (every string value), sync, alarm notifications and the web API.
 */

/** Ports a scheme implies, so `https://host` and `https://host:443` show the same. */
const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443', 'mqtt:': '1883', 'mqtts:': '8883' };

/** `scheme://host:port` of a URL, or `scheme://?` when it does not parse (never the raw text). */
export function publicUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
    return scheme ? `${scheme.toLowerCase()}://?` : '(invalid url)';
  }
  const port = u.port || DEFAULT_PORTS[u.protocol];
  return `${u.protocol}//${u.hostname}${port ? `:${port}` : ''}`;
}

/**
 * Anything that looks like `scheme://…` up to whitespace or a quote. Free text (an error from
 * fetch, a broker, a receiver's answer) may embed a whole URL, credentials included.
 */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
/** Punctuation that ends a sentence rather than the URL: kept after the reduced form. */
const TRAILING = /[).,;:!?\]}]+$/;

/** The text with every URL in it reduced to `scheme://host:port`. */
export function scrubUrls(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (found) => {
    const tail = TRAILING.exec(found)?.[0] ?? '';
    return publicUrl(found.slice(0, found.length - tail.length)) + tail;
  });
}

/**
 * A copy of a JSON-like value with every string in it scrubbed (for answers assembled from many
 * modules, like health). Depth-limited; values that are not plain data pass through unchanged.
 */
export function scrubUrlsDeep<T>(value: T, depth = 8): T {
  if (typeof value === 'string') return scrubUrls(value) as T;
  if (depth <= 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubUrlsDeep(v, depth - 1)) as T;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubUrlsDeep(v, depth - 1);
  return out as T;
}
