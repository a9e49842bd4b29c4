/**
 * The page's scripts, styles and chart library, served by the gateway itself (sites are often
 * offline: no CDN, no web fonts). Everything is read once at start-up; each file's URL carries a
 * content hash (`/static/app.js?v=1a2b3c4d`), so browsers may cache it for good and still see a
 * new version at once after an upgrade.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';

interface Asset {
  body: Buffer;
  /** compressed once at start-up, not per request (a Pi serving a tablet over Wi-Fi) */
  gzipped: Buffer | null;
  type: string;
  hash: string;
}

export interface StaticAssets {
  routes: Hono;
  /** the versioned URL of an asset, e.g. url('app.js') → `/static/app.js?v=…` */
  url(name: string): string;
  /** total bytes of the named assets (page-weight checks), as stored or as sent gzipped */
  bytes(names: readonly string[], gzipped?: boolean): number;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** The package folder, found from both the TS sources and the compiled dist/ tree. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  // dist/dashboard → dist has no package.json, so this ends at the package itself.
  return dir;
}

function load(file: string): Asset {
  const body = readFileSync(file);
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const gzipped = /^(text|image\/svg)/.test(type) && body.length > 1024 ? gzipSync(body, { level: 9 }) : null;
  return {
    body,
    gzipped,
    type,
    hash: createHash('sha256').update(body).digest('hex').slice(0, 10),
  };
}

export function createStaticAssets(): StaticAssets {
  const assets = new Map<string, Asset>();
  const dir = join(packageRoot(), 'dashboard', 'static');
  for (const name of readdirSync(dir)) {
    if (TYPES[extname(name)]) assets.set(name, load(join(dir, name)));
  }
  const require = createRequire(import.meta.url);
  for (const name of ['uPlot.iife.min.js', 'uPlot.min.css']) {
    assets.set(name, load(require.resolve(`uplot/dist/${name}`)));
  }

  const routes = new Hono().get('/:name', (c) => {
    const asset = assets.get(c.req.param('name'));
    if (!asset) return c.text('not found', 404);
    const etag = `"${asset.hash}"`;
    const versioned = c.req.query('v') === asset.hash;
    c.header('Cache-Control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache');
    c.header('ETag', etag);
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    c.header('Content-Type', asset.type);
    c.header('Vary', 'Accept-Encoding');
    if (asset.gzipped && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
      c.header('Content-Encoding', 'gzip');
      return c.body(new Uint8Array(asset.gzipped));
    }
    return c.body(new Uint8Array(asset.body));
  });

  return {
    routes,
    url(name) {
      const asset = assets.get(name);
      if (!asset) throw new Error(`no static asset "${name}"`);
      return `/static/${name}?v=${asset.hash}`;
    },
    bytes: (names, gzipped = false) =>
      names.reduce((n, name) => {
        const a = assets.get(name);
        return n + (a ? ((gzipped ? a.gzipped : null) ?? a.body).length : 0);
      }, 0),
  };
}
