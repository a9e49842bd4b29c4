/** The web page's config keys: http.tls (paths from the config file's folder) and auth. */
import { describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';

const base = (extra: string) => `gateway: { id: gw1 }\n${extra}\ndevices: []\n`;

describe('http and auth config', () => {
  it('defaults: no TLS, sessions of 60 min idle / 24 h, lockout after 5 failures for 15 min', () => {
    const { config, problems } = parseSiteConfig(base(''), '/etc/gw/site.yaml');
    expect(problems).toEqual([]);
    expect(config!.http.tls).toBeUndefined();
    expect(config!.auth).toEqual({ sessionIdleMinutes: 60, sessionMaxHours: 24, maxFailedLogins: 5, lockoutMinutes: 15 });
  });

  it('resolves the certificate and key from the config file folder', () => {
    const { config } = parseSiteConfig(
      base('http: { port: 8443, tls: { cert: certs/gw.crt, key: /secure/gw.key } }\nauth: { sessionIdleMinutes: 480, maxFailedLogins: 3 }'),
      '/etc/gw/site.yaml',
    );
    expect(config!.http).toEqual({ host: '0.0.0.0', port: 8443, tls: { cert: '/etc/gw/certs/gw.crt', key: '/secure/gw.key' }, allowedHosts: [], maxBodyKB: 64, maxLiveStreams: 10 });
    expect(config!.auth).toMatchObject({ sessionIdleMinutes: 480, maxFailedLogins: 3 });
  });

  it.each([
    ['http: { tls: { cert: a.pem } }', 'http.tls.key: required'],
    ['http: { tls: { cert: a.pem, key: b.pem, ca: c.pem } }', 'http.tls.ca: unknown key "ca"'],
    ['auth: { sessionIdleMinutes: 0 }', 'auth.sessionIdleMinutes: 0 is below 1'],
    ['auth: { lockoutMinute: 5 }', 'auth.lockoutMinute: unknown key "lockoutMinute" (did you mean "lockoutMinutes"?)'],
  ])('%s → %s', (yaml, message) => {
    const { problems } = parseSiteConfig(base(yaml), 'site.yaml');
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toContain(message);
  });
});
