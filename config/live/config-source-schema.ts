/**
 * `configSource:` in a site file: a central URL the gateway polls for its whole site file (issue 18,
 * item 4). The token is a Secret (never logged, shown or echoed in a problem); the URL carries no
 * credentials of its own, so it can be shown as `scheme://host:port` without leaking anything.
 */
import { z } from 'zod';
import { type Secret, secretString } from '../../core/secret.js';

export interface ConfigSourceSection {
  /** http(s) URL answering GET with the site file's YAML text (and an ETag) */
  url: string;
  /** sent as `Authorization: Bearer <token>` */
  token: Secret;
  /** seconds between polls while the source answers */
  intervalS: number;
  /** the guard time of a central apply, seconds (0: not guarded); as `?guardS=` on the API */
  guardS: number;
}

export const DEFAULT_CONFIG_SOURCE_INTERVAL_S = 60;

function centralUrl() {
  return z.string().superRefine((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a URL starting with http:// or https://' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must be a URL starting with http:// or https://' });
    // the token is the credential, kept as a Secret; a password in the URL would be shown and logged
    else if (url.username !== '' || url.password !== '') ctx.addIssue({ code: 'custom', message: 'must not hold a user or password (put the credential in token)' });
  });
}

export const configSourceSchema = z.strictObject({
  url: centralUrl(),
  token: secretString(),
  intervalS: z.int().min(1).max(86_400).default(DEFAULT_CONFIG_SOURCE_INTERVAL_S),
  guardS: z.int().min(0).max(3600).default(60),
});
