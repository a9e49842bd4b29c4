// The configuration page: the running version and watch, the running YAML (secrets hidden by the
// API), the versions with their diffs and rollbacks, and the editor (started from the running file,
// its secrets as [secret], or a pasted or loaded one) with Check (dry run) and Apply.
// Everything goes through /api/v1/config with the session's CSRF token; every button is a plain
// click (nothing on hover), so it works the same on a tablet.
(() => {
  const GW = window.GW;
  const { t } = GW;
  const API = GW.data.configApi || '/api/v1/config';
  const MAX_GUARD_S = GW.data.maxGuardS || 3600;
  const $ = (id) => document.getElementById(id);
  const el = (tag, props, ...children) => {
    const node = Object.assign(document.createElement(tag), props || {});
    node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
    return node;
  };
  const LISTS = ['devices', 'alarms', 'incidents', 'actions', 'analytics', 'syncTargets', 'brokerUsers'];
  const SOURCES = new Set(['file', 'api', 'sighup', 'rollback', 'central']);
  const errorBox = $('config-error');
  const result = $('config-result');
  const text = $('config-text');
  let runningVersion = null;
  let guarded = false;
  let central = false;

  /** A request whose JSON answer is wanted whatever its status (a 422 carries the problems). */
  async function call(method, path, body, contentType) {
    const headers = { accept: 'application/json' };
    if (method !== 'GET') headers['x-csrf-token'] = GW.csrf();
    if (contentType) headers['content-type'] = contentType;
    const res = await fetch(`${API}${path}`, { method, headers, body, credentials: 'same-origin' });
    if (res.status === 401) {
      location.href = `/login?expired=1&next=${encodeURIComponent(location.pathname)}`;
      throw new Error('logged out');
    }
    const json = await res.json().catch(() => null);
    return { status: res.status, json };
  }
  const failure = (answer) => answer.json?.error?.message || `HTTP ${answer.status}`;
  const showError = (message) => {
    errorBox.textContent = message ? t('config.failed', { message }) : '';
    errorBox.hidden = !message;
  };

  // --- diffs ----------------------------------------------------------------------------------
  function diffList(diff, summary) {
    if (!diff) {
      if (summary && summary.length > 0) return el('ul', { className: 'diff' }, ...summary.map((s) => el('li', { textContent: s })));
      return el('p', { className: 'muted', textContent: t('config.firstVersion') });
    }
    const items = [];
    for (const name of LISTS) {
      const c = diff.lists?.[name];
      if (!c || c.added.length + c.removed.length + c.changed.length === 0) continue;
      const parts = [
        ...c.added.map((id) => el('span', { className: 'added', textContent: `+ ${id} (${t('config.diff.added')})` })),
        ...c.removed.map((id) => el('span', { className: 'removed', textContent: `− ${id} (${t('config.diff.removed')})` })),
        ...c.changed.map((ch) => el('span', { className: 'changed', textContent: `~ ${ch.id}: ${ch.fields.join(', ')} (${t('config.diff.changed')})` })),
      ];
      items.push(el('li', {}, el('b', { textContent: `${t(`config.list.${name}`)}: ` }), ...parts.flatMap((p, i) => (i === 0 ? [p] : ['; ', p]))));
    }
    if (diff.settings?.length) items.push(el('li', {}, el('b', { textContent: `${t('config.diff.settings')}: ` }), diff.settings.join(', ')));
    if (diff.restartRequired?.length) items.push(el('li', { className: 'restart' }, el('b', { textContent: `${t('config.diff.restart')}: ` }), diff.restartRequired.join(', ')));
    if (items.length === 0) return el('p', { className: 'muted', textContent: t('config.diff.none') });
    return el('ul', { className: 'diff' }, ...items);
  }

  /** The API's one-line summaries (`devices: + ups2`) with the section named in the page's language. */
  const SUMMARY_HEADS = { settings: 'config.diff.settings', 'needs a restart': 'config.diff.restart' };
  function summaryText(summary) {
    if (summary.length === 0) return '—';
    return summary
      .map((line) => {
        const colon = line.indexOf(': ');
        const head = colon < 0 ? '' : line.slice(0, colon);
        const key = LISTS.includes(head) ? `config.list.${head}` : SUMMARY_HEADS[head];
        return key ? `${t(key)}${line.slice(colon)}` : line;
      })
      .join('; ');
  }

  // --- the running config and the versions ------------------------------------------------------
  async function loadCurrent() {
    const answer = await call('GET', '');
    if (answer.status !== 200) throw new Error(failure(answer));
    const { version, guard, yaml } = answer.json;
    showCentral(answer.json.central);
    runningVersion = version ? version.n : null;
    $('config-version').textContent = version ? t('config.versionText', { n: version.n, time: GW.time(version.at) }) : t('config.noVersion');
    $('config-guard').textContent = guard ? t('config.guardText', { time: GW.time(guard.until), restores: guard.restores }) : t('config.noGuard');
    $('config-guard').classList.toggle('watching', Boolean(guard));
    guarded = Boolean(guard);
    $('config-yaml').textContent = yaml || '';
  }

  /** The central config source (`configSource:`): where, when it last looked, what became of its last text. */
  function showCentral(status) {
    central = Boolean(status);
    $('config-central-label').hidden = !central;
    $('config-central').hidden = !central;
    if (!central) return;
    const lines = [
      `${t('config.centralSource', { url: status.url, interval: status.intervalS })}; ${status.lastPollAt ? t('config.centralPolled', { time: GW.time(status.lastPollAt) }) : t('config.centralNotYet')}`,
    ];
    const o = status.outcome;
    if (o) {
      const result = t(`config.centralResult.${o.result}`, { version: o.version ?? '?', reason: o.reason || '' });
      lines.push(t('config.centralOutcome', { time: GW.time(o.at), result }));
    }
    if (status.error) lines.push(t('config.centralError', { failures: status.error.failures, message: status.error.message }));
    $('config-central').replaceChildren(...lines.map((line) => el('span', { className: 'line', textContent: line })));
    $('config-central').classList.toggle('failing', Boolean(status.error));
  }

  function versionRow(v) {
    const running = v.n === runningVersion;
    const diffRow = el('tr', { className: 'diff-row', hidden: true, id: `config-diff-${v.n}` }, el('td', { colSpan: 6 }));
    const diffButton = el('button', { type: 'button', textContent: t('config.showDiff') });
    diffButton.setAttribute('aria-expanded', 'false');
    diffButton.setAttribute('aria-controls', diffRow.id);
    diffButton.addEventListener('click', async () => {
      if (!diffRow.hidden) {
        diffRow.hidden = true;
        diffButton.textContent = t('config.showDiff');
        diffButton.setAttribute('aria-expanded', 'false');
        return;
      }
      const answer = await call('GET', `/versions/${v.n}/diff`).catch((err) => ({ status: 0, json: { error: { message: err.message } } }));
      if (answer.status !== 200) return showError(failure(answer));
      diffRow.firstChild.replaceChildren(diffList(answer.json.diff, answer.json.summary));
      diffRow.hidden = false;
      diffButton.textContent = t('config.hideDiff');
      diffButton.setAttribute('aria-expanded', 'true');
    });
    const buttons = [diffButton];
    if (!running) {
      buttons.push(el('button', { type: 'button', className: 'rollback', textContent: t('config.rollback', { n: v.n }), onclick: () => askRollback(v.n) }));
    }
    const source = SOURCES.has(v.source) ? t(`config.source.${v.source}`) : v.source;
    const row = el(
      'tr',
      { id: `config-v-${v.n}`, className: running ? 'running' : '' },
      el('th', { scope: 'row' }, String(v.n), running ? el('span', { className: 'tag', textContent: t('config.runningTag') }) : null),
      el('td', { textContent: GW.time(v.at) }),
      el('td', { textContent: v.who }),
      el('td', { className: 'source', textContent: source }),
      el('td', { className: 'changes', textContent: summaryText(v.summary) }),
      el('td', {}, el('div', { className: 'actions' }, ...buttons)),
    );
    return [row, diffRow];
  }

  async function loadVersions() {
    const answer = await call('GET', '/versions');
    if (answer.status !== 200) throw new Error(failure(answer));
    const list = answer.json.versions;
    const body = $('config-versions').tBodies[0];
    if (list.length === 0) body.replaceChildren(el('tr', {}, el('td', { colSpan: 6, className: 'muted', textContent: t('config.noVersions') })));
    else body.replaceChildren(...list.flatMap(versionRow));
  }

  async function refresh() {
    try {
      await loadCurrent();
      await loadVersions();
      showError('');
    } catch (err) {
      showError(err.message);
    }
  }

  // --- outcomes -----------------------------------------------------------------------------
  function problemsView(json) {
    const problems = json.problems || [];
    return [
      el('p', { className: 'notice error', textContent: t('config.problems', { count: problems.length }) }),
      el(
        'ol',
        { className: 'problems' },
        ...problems.map((p) =>
          el('li', {}, p.line > 0 ? el('b', { className: 'at-line', textContent: t('config.line', { line: p.line }) }) : null, p.line > 0 ? ' ' : null, p.path ? el('code', { textContent: p.path }) : null, `${p.path ? ': ' : ''}${p.message}`),
        ),
      ),
    ];
  }
  const refusalsView = (refusals) => [
    el('p', { className: 'notice error', textContent: t('config.refusals') }),
    el('ul', { className: 'refusals' }, ...refusals.map((r) => el('li', { textContent: r }))),
  ];
  const hasChanges = (json) => Array.isArray(json.summary) && json.summary.length > 0;

  function show(nodes, state) {
    result.dataset.state = state;
    result.replaceChildren(...nodes);
  }

  function showAnswer(answer, kind, rollbackTo) {
    const json = answer.json || {};
    if (answer.status === 422 && json.problems) return show(problemsView(json), 'invalid');
    if (answer.status === 409 && json.refusals) return show([...refusalsView(json.refusals), diffList(json.diff, json.summary)], 'refused');
    if (answer.status !== 200) return show([el('p', { className: 'notice error', textContent: t('config.failed', { message: failure(answer) }) })], 'error');
    if (kind === 'check') {
      if (!hasChanges(json)) return show([el('p', { className: 'notice', textContent: t('config.noChange') })], 'unchanged');
      const nodes = [el('p', { className: 'notice ok', textContent: t('config.valid') }), diffList(json.diff, json.summary)];
      if (json.refusals?.length) nodes.push(...refusalsView(json.refusals));
      return show(nodes, json.refusals?.length ? 'refused' : 'valid');
    }
    if (json.unchanged) return show([el('p', { className: 'notice', textContent: t('config.noChange') })], 'unchanged');
    const message =
      kind === 'rollback' ? t('config.rolledBack', { to: rollbackTo, n: json.version ?? '?' }) : json.version ? t('config.applied', { n: json.version }) : t('config.appliedNoVersion');
    return show([el('p', { className: 'notice ok', textContent: message }), diffList(json.diff, json.summary)], 'applied');
  }

  // --- the editor -----------------------------------------------------------------------------
  $('config-file').addEventListener('change', async (e) => {
    const file = e.target.files?.[0];
    if (!file) return;
    text.value = await file.text();
    show([], '');
  });

  // The running file itself (GET /source): its secrets come as [secret], which the gateway puts
  // back from the running file when the text is checked or applied.
  async function loadRunning() {
    const answer = await call('GET', '/source').catch((err) => ({ status: 0, json: { error: { message: err.message } } }));
    if (answer.status !== 200) return show([el('p', { className: 'notice error', textContent: t('config.failed', { message: failure(answer) }) })], 'error');
    text.value = answer.json.text;
    show([el('p', { className: 'notice', textContent: t('config.loadedRunning', { n: answer.json.version, count: answer.json.masked }) })], 'loaded');
  }
  $('config-load-running').addEventListener('click', () => {
    if (text.value.trim() === '') loadRunning();
    else ask(t('config.confirmReplace'), '', loadRunning);
  });

  /** The editor's text and watch time, or null after saying what is missing. */
  function editorInput() {
    if (text.value.trim() === '') {
      show([el('p', { className: 'notice error', textContent: t('config.empty') })], 'error');
      text.focus();
      return null;
    }
    const guardS = Number($('config-guard-s').value);
    if (!(Number.isInteger(guardS) && guardS >= 0 && guardS <= MAX_GUARD_S)) {
      show([el('p', { className: 'notice error', textContent: t('config.badGuard') })], 'error');
      $('config-guard-s').focus();
      return null;
    }
    return { body: text.value, guardS };
  }

  const buttons = () => document.querySelectorAll('#config-check, #config-apply, #config-versions button.rollback');
  async function run(busyText, request, kind, rollbackTo) {
    for (const b of buttons()) b.disabled = true;
    show([el('p', { className: 'muted', textContent: busyText })], 'busy');
    try {
      showAnswer(await request(), kind, rollbackTo);
    } catch (err) {
      show([el('p', { className: 'notice error', textContent: t('config.failed', { message: err.message }) })], 'error');
    } finally {
      for (const b of buttons()) b.disabled = false;
    }
    if (kind !== 'check') await refresh();
  }

  $('config-check').addEventListener('click', () => {
    const input = editorInput();
    if (input) run(t('config.checking'), () => call('POST', '?dryRun=1', input.body, 'application/yaml'), 'check');
  });

  // --- confirmations --------------------------------------------------------------------------
  const dialog = $('config-dialog');
  let pending = null;
  function ask(title, detail, action) {
    pending = action;
    $('config-dialog-title').textContent = title;
    $('config-dialog-text').textContent = detail;
    $('config-dialog-text').hidden = !detail;
    // returnValue survives from the last time: Escape must not repeat the last confirmation
    dialog.returnValue = '';
    dialog.showModal();
    $('config-dialog-confirm').focus();
  }
  dialog.addEventListener('close', () => {
    const action = pending;
    pending = null;
    if (dialog.returnValue === 'confirm' && action) action();
  });

  $('config-apply').addEventListener('click', () => {
    const input = editorInput();
    if (!input) return;
    const detail = input.guardS > 0 ? t('config.confirmGuard', { seconds: input.guardS }) : t('config.confirmNoGuard');
    ask(t('config.confirmApply'), detail, () => run(t('config.applying'), () => call('POST', `?guardS=${input.guardS}`, input.body, 'application/yaml'), 'apply'));
  });

  function askRollback(n) {
    ask(t('config.confirmRollback', { n }), '', () =>
      run(t('config.applying'), () => call('POST', '/rollback', JSON.stringify({ version: n }), 'application/json'), 'rollback', n),
    );
  }

  // Another admin, a SIGHUP, the central server or the guard itself may change the running version:
  // a light look at the versions every 10 s redraws the page when the newest is not the one shown
  // (an open diff stays open otherwise); a watch in progress is followed until it ends, and the
  // central source's polls as they come.
  setInterval(async () => {
    if (document.hidden || dialog.open) return;
    try {
      const answer = await call('GET', '/versions');
      const newest = answer.status === 200 ? (answer.json.versions[0]?.n ?? null) : runningVersion;
      if (newest !== runningVersion) await refresh();
      else if (guarded || central) await loadCurrent();
    } catch {
      // the next round tries again; the page keeps what it shows
    }
  }, 10_000);

  refresh();
})();
