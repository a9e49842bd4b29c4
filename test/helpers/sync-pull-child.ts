/**
 * An EMS pulling through the pull API, in its own process: pages `after → nextAfter` until
 * `more` is false, then prints `{ items, seconds, wireBytes, pages }` as JSON.
 *
 * Usage: node --import tsx test/helpers/sync-pull-child.ts <base url> <token> <limit> <gzip: 0|1>
 */
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';

const [base, token, limitText, gzipText] = process.argv.slice(2);
if (!base || !token) throw new Error('usage: sync-pull-child.ts <base url> <token> <limit> <gzip>');
const limit = Number(limitText ?? 10_000);
const gzip = gzipText === '1';

/** node:http rather than fetch, so the bytes on the wire are counted as sent. */
function get(url: string): Promise<{ status: number; body: Buffer; wire: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': gzip ? 'gzip' : 'identity' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        resolve({ status: res.statusCode ?? 0, body, wire: raw.length });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

let after = 0;
let items = 0;
let wireBytes = 0;
let pages = 0;
const started = performance.now();
for (;;) {
  const res = await get(`${base}/readings?after=${after}&limit=${limit}`);
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.toString().slice(0, 200)}`);
  const page = JSON.parse(res.body.toString('utf8')) as { items: { seq: number }[]; nextAfter: number; more: boolean };
  items += page.items.length;
  wireBytes += res.wire;
  pages++;
  after = page.nextAfter;
  if (!page.more) break;
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ items, seconds, wireBytes, pages, last: after })}\n`);
