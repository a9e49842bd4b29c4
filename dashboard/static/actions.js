// Automated actions: each action's trigger, steps, limits and state, its last runs, and (for
// operators) disable-for-minutes / enable. Refreshed when the live stream brings an action event.
(() => {
  const GW = window.GW;
  const { t } = GW;
  const canAct = GW.data.canAct === true;
  let actions = GW.data.actions || [];
  const list = document.getElementById('action-list');
  const errorBox = document.getElementById('action-error');
  const el = (tag, props, ...children) => {
    const node = Object.assign(document.createElement(tag), props || {});
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  };

  function triggerText(on) {
    if (on.everyS !== undefined) return t('actions.every', { seconds: String(on.everyS) });
    const kind = on.alarm !== undefined ? t('actions.alarm') : t('actions.incident');
    return `${kind} ${on.alarm ?? on.incident} → ${on.transition}`;
  }

  function stateText(a) {
    if (!a.enabled) return t('actions.off');
    if (a.disabledUntil) return t('actions.disabledUntil', { time: GW.time(a.disabledUntil), who: a.disabledBy || '' });
    if (a.running) return t('actions.running');
    return a.dryRun ? t('actions.dryRun') : t('actions.on');
  }

  function runRow(r) {
    const steps = r.steps.map((s) => `${s.kind}: ${s.skipped ? t('actions.skipped') : s.ok ? t('actions.ok') : `${t('actions.failed')} (${s.error || ''})`}`).join('; ');
    return el(
      'tr',
      { className: r.ok ? '' : 'sev-major' },
      el('td', { textContent: GW.time(r.startedAt) }),
      el('td', { textContent: `${r.trigger.type} ${r.trigger.id} ${r.trigger.transition}` }),
      el('td', { textContent: r.dryRun ? t('actions.dryRun') : r.ok ? t('actions.ok') : t('actions.failed') }),
      el('td', { textContent: steps }),
    );
  }

  async function post(a, kind, body) {
    errorBox.hidden = true;
    try {
      await GW.fetchJson(`/api/v1/actions/${encodeURIComponent(a.id)}/${kind}`, { method: 'POST', body });
      await refresh();
    } catch (err) {
      errorBox.textContent = err.message;
      errorBox.hidden = false;
    }
  }

  function card(a) {
    const buttons = [];
    if (canAct && a.enabled) {
      if (a.disabledUntil) buttons.push(el('button', { type: 'button', textContent: t('actions.enable'), onclick: () => post(a, 'enable', {}) }));
      else {
        const minutes = el('input', { type: 'number', min: '1', step: '1', value: '60', className: 'minutes', ariaLabel: t('actions.minutes') });
        buttons.push(el('label', {}, `${t('actions.minutes')} `, minutes));
        buttons.push(el('button', { type: 'button', textContent: t('actions.disable'), onclick: () => post(a, 'disable', { minutes: Number(minutes.value) }) }));
      }
    }
    const runs = a.lastRuns.length
      ? el(
          'div',
          { className: 'table-wrap' },
          el(
            'table',
            { className: 'data' },
            el('thead', {}, el('tr', {}, ...['col.time', 'col.trigger', 'col.result', 'col.steps'].map((k) => el('th', { scope: 'col', textContent: t(`actions.${k}`) })))),
            el('tbody', {}, ...a.lastRuns.map(runRow)),
          ),
        )
      : el('p', { className: 'muted', textContent: t('actions.noRuns') });
    return el(
      'section',
      { className: 'card', id: `action-${a.id}` },
      el('h2', { textContent: a.id }),
      el(
        'dl',
        { className: 'facts' },
        el('dt', { textContent: t('actions.trigger') }),
        el('dd', { textContent: triggerText(a.on) }),
        el('dt', { textContent: t('actions.steps') }),
        el('dd', { textContent: a.steps.join(' → ') }),
        el('dt', { textContent: t('actions.limits') }),
        el('dd', { textContent: t('actions.limitsText', { cooldown: String(a.cooldownS), perHour: String(a.maxRunsPerHour) }) }),
        el('dt', { textContent: t('actions.state') }),
        el('dd', { className: 'state', textContent: stateText(a) }),
      ),
      el('div', { className: 'buttons' }, ...buttons),
      runs,
    );
  }

  function render() {
    list.replaceChildren(...(actions.length ? actions.map(card) : [el('p', { className: 'muted', textContent: t('actions.none') })]));
  }

  async function refresh() {
    actions = await GW.fetchJson('/api/v1/actions');
    render();
  }

  // The live stream carries alarm transitions (which start most actions), not action runs: a
  // transition refreshes soon after, and a slow poll catches the rest.
  GW.on('alarms', () => setTimeout(() => refresh().catch(() => undefined), 1500));
  setInterval(() => refresh().catch(() => undefined), 10_000);
  render();
})();
