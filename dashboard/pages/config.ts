/**
 * The configuration page (admins only): the running version and any watch after an apply (and
 * the central config source's last poll, when the site file has one), the running config as YAML with its secrets hidden, every applied version with its diff and a
 * rollback, and an editor (start from the running file with its secrets as `[secret]`, paste, or
 * load a file) with "Check" (the dry run: every problem with its
 * line, or the diff and what would need a restart) and "Apply". The page is a frame: config.js
 * reads and changes everything through /api/v1/config, so the page and the API can never disagree
 * on who may do what (the API checks the admin role itself).
 */
import { Hono } from 'hono';
import { roleAtLeast } from '../../gateway/auth/roles.js';
import type { WebEnv } from '../context.js';
import { html } from '../html.js';
import type { MessageKey } from '../i18n/i18n.js';
import { MAX_GUARD_S } from '../routes/config.js';
import { CONFIG_API_PATH, hasLiveConfig, type PageKit, renderPage } from './layout.js';

/** The watch after an apply the editor offers (the API's default, app/start-live-config.ts). */
const DEFAULT_GUARD_S = 60;

export function configPage(kit: PageKit): Hono<WebEnv> {
  return new Hono<WebEnv>().get('/', (c) => {
    const t = c.get('t');
    const principal = c.get('principal');
    const title = t('config.title');
    if (!roleAtLeast(principal.role, 'admin')) {
      const role = t(`role.${principal.role}` as MessageKey);
      const body = html`<p class="notice error" role="alert">${t('config.forbidden', { name: principal.name, role })}</p>`;
      return renderPage(c, kit, { title, nav: null, body, status: 403 });
    }
    if (!hasLiveConfig(kit.deps)) {
      return renderPage(c, kit, { title, nav: 'config', body: html`<p class="muted">${t('config.unavailable')}</p>`, status: 404 });
    }
    const th = (key: MessageKey) => html`<th scope="col">${t(key)}</th>`;
    const body = html`<div class="config-page">
<p id="config-error" class="notice error" role="alert" hidden></p>
<section class="card config-running" aria-labelledby="h-running"><h2 id="h-running">${t('config.running')}</h2>
<dl class="facts"><dt>${t('config.version')}</dt><dd id="config-version">${t('config.loading')}</dd>
<dt>${t('config.guard')}</dt><dd id="config-guard">—</dd>
<dt id="config-central-label" hidden>${t('config.centralLabel')}</dt><dd id="config-central" hidden></dd></dl>
<details id="config-yaml-box"><summary>${t('config.yaml')}</summary>
<p class="muted">${t('config.secretsHidden')}</p><pre id="config-yaml" class="yaml" tabindex="0"></pre></details>
</section>
<section class="card config-editor" aria-labelledby="h-editor"><h2 id="h-editor">${t('config.editor')}</h2>
<p class="muted">${t('config.editorHint')}</p>
<div class="buttons load-running"><button id="config-load-running" type="button">${t('config.loadRunning')}</button></div>
<p class="muted" id="config-load-running-hint">${t('config.loadRunningHint')}</p>
<div class="stack">
<label for="config-file">${t('config.upload')}</label><input id="config-file" type="file" accept=".yaml,.yml,text/yaml,application/yaml,text/plain">
<label for="config-text">${t('config.text')}</label>
<textarea id="config-text" rows="18" spellcheck="false" autocapitalize="off" autocomplete="off" autocorrect="off" wrap="off"></textarea>
<label for="config-guard-s">${t('config.guardS')}</label>
<input id="config-guard-s" type="number" min="0" max="${MAX_GUARD_S}" step="1" value="${DEFAULT_GUARD_S}" inputmode="numeric">
</div>
<div class="buttons"><button id="config-check" type="button">${t('config.check')}</button> <button id="config-apply" type="button" class="primary">${t('config.apply')}</button></div>
<div id="config-result" role="status" aria-live="polite"></div>
</section>
<section class="card config-versions" aria-labelledby="h-versions"><h2 id="h-versions">${t('config.versions')}</h2>
<div class="table-wrap"><table class="data" id="config-versions"><thead><tr>${th('config.col.n')}${th('config.col.when')}${th('config.col.who')}${th('config.col.source')}${th('config.col.summary')}<th scope="col"></th></tr></thead>
<tbody><tr><td colspan="6" class="muted">${t('config.loading')}</td></tr></tbody></table></div>
</section>
<dialog id="config-dialog" aria-labelledby="config-dialog-title">
<form method="dialog" class="stack">
<h2 id="config-dialog-title"></h2>
<p id="config-dialog-text"></p>
<div class="buttons"><button value="cancel" formnovalidate>${t('config.cancel')}</button><button id="config-dialog-confirm" value="confirm" class="primary">${t('config.confirm')}</button></div>
</form>
</dialog>
</div>`;
    return renderPage(c, kit, {
      title,
      nav: 'config',
      body,
      scripts: ['config.js'],
      styles: ['config.css'],
      messages: ['config.'],
      data: { configApi: CONFIG_API_PATH, maxGuardS: MAX_GUARD_S },
    });
  });
}
