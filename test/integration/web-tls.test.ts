/**
 * The optional HTTPS listener with a configured certificate: the page is served over TLS (checked
 * against the certificate, not with verification switched off), the session cookie is Secure and
 * responses carry HSTS. The certificate is made by openssl for the test.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpServer, startHttpServer } from '../../dashboard/http-server.js';
import { createWebRig, type WebRig } from '../helpers/web-app.js';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error('CI is missing openssl (apt-get install openssl)');
    console.warn('skipping the TLS test: openssl is missing');
    return false;
  }
}

function get(port: number, path: string, ca: Buffer, headers: Record<string, string> = {}, method = 'GET', body?: string) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, ca, servername: 'localhost', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.runIf(hasOpenssl())('HTTPS listener', () => {
  let dir: string;
  let cert: Buffer;
  let server: HttpServer;
  let rig: WebRig;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'));
    rig = createWebRig({ tls: true });
    await rig.auth.addUser('olga', 'operator');
    server = await startHttpServer(rig.app, '127.0.0.1', 0, { cert, key: readFileSync(join(dir, 'key.pem')) });
  });

  afterAll(async () => {
    await server?.close();
    rig?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the login page over TLS with HSTS', async () => {
    const res = await get(server.port, '/login', cert);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<form method="post" action="/login"');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  });

  it('logs in over TLS and the session cookie is Secure, HttpOnly, SameSite=Strict', async () => {
    const login = await get(server.port, '/api/v1/session', cert, { 'content-type': 'application/json', origin: `https://127.0.0.1:${server.port}`, host: `127.0.0.1:${server.port}` }, 'POST', JSON.stringify({ user: 'olga', password: 'correct horse 1' }));
    expect(login.status).toBe(200);
    const cookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []).find((c) => c.startsWith('gw_session='))!;
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    const me = await get(server.port, '/api/v1/session', cert, { cookie: cookie.split(';')[0]! });
    expect(JSON.parse(me.body)).toMatchObject({ user: 'olga', role: 'operator' });
  });

  it('a client that does not trust the certificate is refused by TLS itself', async () => {
    await expect(get(server.port, '/login', Buffer.from(''))).rejects.toThrow(/self.signed|certificate/i);
  });
});
