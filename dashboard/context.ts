/** What the middleware puts on each request's context for the routes and pages. */
import type { Principal, SessionInfo } from '../gateway/auth/types.js';
import type { Lang, Translate } from './i18n/i18n.js';

export type Theme = 'auto' | 'light' | 'dark';

export interface WebVariables {
  /** who is asking; set on every route behind the auth middleware */
  principal: Principal;
  /** the browser session, when the request came with one (not with an API token) */
  session?: SessionInfo;
  lang: Lang;
  t: Translate;
  theme: Theme;
}

export type WebEnv = { Variables: WebVariables };
