/**
 * DNS rebinding: a remote web page re-points its own host name at the gateway's LAN address, and
 * the victim's browser then talks to the gateway as that site, sending `Host: attacker.example`.
 * Answering only host names we know (configured ones, the listener's addresses, the machine's
 * own name, localhost) takes that away. `*` in `http.allowedHosts` turns the check off, for a
 * reverse proxy that checks Host itself.
 */
import { hostname as osHostname, networkInterfaces } from 'node:os';
import type { MiddlewareHandler } from 'hono';
import { jsonError } from './errors.js';

export type HostAllowed = (host: string) => boolean;

export interface HostAllowlistOptions {
  /** `http.allowedHosts`: extra names (or addresses) clients use to reach the gateway */
  allowedHosts?: readonly string[];
  /** `http.host`: the listen address; a wildcard (0.0.0.0, ::) means every interface address */
  listenHost: string;
  /** the machine's interface addresses (tests pass their own) */
  interfaces?: () => string[];
  machineName?: string;
}

/** `Example.LAN.` → `example.lan`, `[::1]:8080` → `::1`, `10.0.0.5:80` → `10.0.0.5`. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) h = h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  else if (h.split(':').length === 2) h = h.slice(0, h.indexOf(':'));
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

const WILDCARD = new Set(['', '0.0.0.0', '::', '[::]']);
const allInterfaces = () =>
  Object.values(networkInterfaces())
    .flat()
    .flatMap((i) => (i ? [i.address] : []));

export function createHostAllowlist(options: HostAllowlistOptions): HostAllowed {
  const configured = options.allowedHosts ?? [];
  if (configured.includes('*')) return () => true;
  const machine = (options.machineName ?? osHostname()).toLowerCase();
  const fixed = new Set(['localhost', '127.0.0.1', '::1', machine, `${machine}.local`, ...configured.map(normalizeHost)]);
  const wildcard = WILDCARD.has(options.listenHost.trim());
  if (!wildcard) fixed.add(normalizeHost(options.listenHost));
  const readInterfaces = options.interfaces ?? allInterfaces;
  let addresses = new Set<string>();
  let readAt = Number.NEGATIVE_INFINITY;
  // Addresses change (DHCP): re-read on a miss, at most once a second so a flood of bad hosts costs little.
  const listenerAddress = (h: string) => {
    if (!wildcard) return false;
    if (!addresses.has(h) && performance.now() - readAt > 1_000) {
      addresses = new Set(readInterfaces().map(normalizeHost));
      readAt = performance.now();
    }
    return addresses.has(h);
  };
  return (host) => {
    const h = normalizeHost(host);
    return fixed.has(h) || listenerAddress(h);
  };
}

/** Refuses a request whose Host (and URL host) is not one of ours: 421 Misdirected Request. */
export function hostCheck(allowed: HostAllowed): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('host');
    const urlHost = new URL(c.req.url).hostname;
    if (!allowed(urlHost) || (header !== undefined && !allowed(header))) {
      return jsonError(c, 421, 'misdirected', 'this gateway does not answer to that host name; add it to http.allowedHosts');
    }
    return next();
  };
}
