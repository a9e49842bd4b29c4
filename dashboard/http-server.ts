import { type ServerType, serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface HttpServer {
  /** the port actually bound (useful with port 0) */
  port: number;
  close(): Promise<void>;
}

/** Listens and resolves once bound; rejects with a readable error (e.g. port in use). */
export function startHttpServer(app: Hono, host: string, port: number): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    let server: ServerType;
    const onError = (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : err.message;
      reject(new Error(`cannot listen on ${host}:${port}: ${reason}`, { cause: err }));
    };
    server = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
      server.off('error', onError);
      resolve({
        port: info.port,
        close: () => new Promise<void>((res) => server.close(() => res())),
      });
    });
    server.once('error', onError);
  });
}
