import { createServer as createHttpsServer } from 'node:https';
import { type ServerType, serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface HttpServer {
  /** the port actually bound (useful with port 0) */
  port: number;
  close(): Promise<void>;
}

/** PEM certificate chain and private key for an HTTPS listener. */
export interface TlsMaterial {
  cert: string | Buffer;
  key: string | Buffer;
}

/** Listens and resolves once bound; rejects with a readable error (e.g. port in use). */
// biome-ignore lint/suspicious/noExplicitAny: any sub-app environment (the web app has its own variables)
export function startHttpServer(app: Hono<any>, host: string, port: number, tls?: TlsMaterial): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    let server: ServerType;
    const onError = (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : err.message;
      reject(new Error(`cannot listen on ${host}:${port}: ${reason}`, { cause: err }));
    };
    const listening = (info: { port: number }) => {
      server.off('error', onError);
      resolve({
        port: info.port,
        close: () =>
          new Promise<void>((res) => {
            // Open live streams (SSE) would hold close() forever.
            if ('closeAllConnections' in server) server.closeAllConnections();
            server.close(() => res());
          }),
      });
    };
    server = tls
      ? serve({ fetch: app.fetch, hostname: host, port, createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } }, listening)
      : serve({ fetch: app.fetch, hostname: host, port }, listening);
    server.once('error', onError);
  });
}
