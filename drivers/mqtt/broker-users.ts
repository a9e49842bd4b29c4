/**
 * The embedded broker's users changed live: the new users and anonymous rules take effect for
 * the next login, publish and subscribe; then the connected clients of a user who was removed, or
 * whose password or subscribe list changed, are disconnected (and anonymous ones when anonymous
 * access was turned off). Everyone else stays connected with their sessions. A disconnected
 * sensor reconnects on its own and logs in against the new users. Usernames are logged, never a
 * password or hash.
 */
import type { Client } from 'aedes';
import type { Logger } from '../../core/logger.js';
import type { AccessChange, BrokerAccess } from './broker-auth.js';
import type { BrokerLogin } from './broker-login.js';
import type { MqttBrokerSection } from './point.js';

export interface BrokerUsersChange {
  added: string[];
  removed: string[];
  changed: string[];
  /** clients disconnected */
  disconnected: number;
}

export async function replaceBrokerUsers(
  parts: { access: BrokerAccess; login: Pick<BrokerLogin, 'loggedInClients'>; logger: Logger },
  section: Pick<MqttBrokerSection, 'users' | 'allowAnonymous' | 'anonymousPublish'>,
): Promise<BrokerUsersChange> {
  const change: AccessChange = await parts.access.replace({ users: section.users, allowAnonymous: section.allowAnonymous, anonymousPublish: section.anonymousPublish });
  const leaving = new Set(change.disconnect);
  const gone = parts.login
    .loggedInClients()
    .filter(({ username }) => (username === null ? change.disconnectAnonymous : leaving.has(username)));
  await Promise.all(gone.map(({ client }) => closeClient(client)));
  parts.logger.info('mqtt broker users replaced', {
    added: change.added.join(', '),
    removed: change.removed.join(', '),
    changed: change.changed.join(', '),
    disconnected: gone.length,
  });
  return { added: change.added, removed: change.removed, changed: change.changed, disconnected: gone.length };
}

function closeClient(client: Client): Promise<void> {
  return new Promise((resolve) => client.close(() => resolve()));
}
