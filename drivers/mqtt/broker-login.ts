/**
 * The embedded broker's login step, in the order the checks must run: the clientId's length
 * (no password work for a malformed id), the password backoff (refused before any hash runs),
 * the password (one scrypt, whoever the user), then the clientId's owner — a clientId held by one
 * user cannot be taken over by another, since MQTT's takeover closes the holder's connection.
 */
import type { AuthenticateError, Client, ConnectPacket } from 'aedes';
import { errorMessage } from '../../core/errors.js';
import type { BrokerAccess } from './broker-auth.js';
import type { LoginThrottle } from './login-throttle.js';
import type { RateLimitedLog } from './rate-limited-log.js';

/** CONNACK codes used here (MQTT 3.1.1 §3.2.2.3) */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;

export interface LoginCounters {
  authFailures: number;
  loginThrottled: number;
  clientIdRefused: number;
}

export interface BrokerLoginOptions {
  access: BrokerAccess;
  throttle: LoginThrottle;
  maxClientIdLength: number;
  /** counters shared with the broker's stats, updated in place */
  counters: LoginCounters;
  warn: RateLimitedLog;
  /** the client's address, for the backoff and the log */
  remote: (client: Client) => string;
}

type Done = (error: AuthenticateError | null, success: boolean | null) => void;

export interface BrokerLogin {
  preConnect(client: Client, packet: ConnectPacket, done: (error: Error | null, success: boolean) => void): void;
  authenticate(client: Client, username: Readonly<string> | undefined, password: Readonly<Buffer> | undefined, done: Done): void;
  /** the user a connected client logged in as (null: anonymous) */
  usernameOf(client: Client): string | null;
  /** whether this connection (client.conn) has logged in */
  isLoggedIn(conn: object): boolean;
  /** the clients logged in now and as whom (null: anonymous) */
  loggedInClients(): Array<{ client: Client; username: string | null }>;
}

function refuse(done: Done, code: 2 | 3 | 4 | 5, why: string): void {
  done(Object.assign(new Error(why), { returnCode: code as AuthenticateError['returnCode'] }), false);
}

export function createBrokerLogin(options: BrokerLoginOptions): BrokerLogin {
  const { access, throttle, maxClientIdLength, counters, warn, remote } = options;
  const usernames = new WeakMap<Client, string | null>();
  /** the clientId as sent (aedes replaces an empty one with a generated id) */
  const sentIdLength = new WeakMap<Client, number>();
  const loggedIn = new WeakSet<object>();
  /** clientId → who holds it, from a successful login until that connection closes */
  const owners = new Map<string, { client: Client; username: string | null }>();

  return {
    preConnect(client, packet, done) {
      sentIdLength.set(client, Buffer.byteLength(packet.clientId ?? ''));
      done(null, true);
    },
    authenticate(client, username, password, done) {
      const from = remote(client);
      if ((sentIdLength.get(client) ?? 0) > maxClientIdLength) {
        counters.clientIdRefused += 1;
        warn(`id-length:${from}`, 'mqtt login refused: clientId too long', { from, limit: maxClientIdLength });
        return refuse(done, IDENTIFIER_REJECTED, `clientId longer than ${maxClientIdLength} bytes`);
      }
      const attempt = throttle.begin(from, username || null);
      if (!attempt) {
        counters.loginThrottled += 1;
        warn(`throttle:${from}`, 'mqtt login refused: too many failed logins, backing off', { username: username ?? null, from });
        return refuse(done, SERVER_UNAVAILABLE, 'too many failed logins: try again later');
      }
      access.authenticate(username, password as Buffer | undefined).then(
        (result) => {
          if (!result.ok) {
            attempt.failed();
            counters.authFailures += 1;
            warn(`auth:${username ?? ''}`, 'mqtt login refused', { username: username ?? null, client: client.id, from, why: result.why });
            return refuse(done, result.code, result.why);
          }
          attempt.succeeded();
          const id = client.id;
          const owner = owners.get(id);
          if (owner && owner.client !== client && !owner.client.closed && owner.username !== result.username) {
            counters.clientIdRefused += 1;
            warn(`id-taken:${result.username ?? ''}`, 'mqtt login refused: clientId in use by another user', { username: result.username, client: id, from });
            return refuse(done, IDENTIFIER_REJECTED, 'clientId in use by another user');
          }
          // a connection that closed while its password was checked must not hold the id
          if (!client.closed) {
            owners.set(id, { client, username: result.username });
            client.conn.once('close', () => {
              if (owners.get(id)?.client === client) owners.delete(id);
            });
          }
          usernames.set(client, result.username);
          loggedIn.add(client.conn);
          done(null, true);
        },
        (err: unknown) => {
          attempt.failed();
          refuse(done, SERVER_UNAVAILABLE, errorMessage(err));
        },
      );
    },
    usernameOf: (client) => usernames.get(client) ?? null,
    isLoggedIn: (conn) => loggedIn.has(conn),
    loggedInClients: () => [...owners.values()].filter((o) => !o.client.closed).map((o) => ({ ...o })),
  };
}
