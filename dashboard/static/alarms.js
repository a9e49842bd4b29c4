// Alarm console: active alarms by severity and time, history, acknowledge / shelve with a comment,
// filters. Kept current by the live stream: every alarm transition refreshes the list.
(() => {
  const GW = window.GW;
  const { t } = GW;
  const SEVERITIES = ['critical', 'major', 'minor', 'warning'];
  const ACKABLE = new Set(['unack', 'rtn-unack', 'latched']);
  const devices = GW.data.devices || {};
  const canAct = GW.data.canAct === true;
  // alarms of these severities have an event snapshot from their last raise (gateway/snapshots/)
  const snapshotSeverities = new Set(GW.data.snapshotSeverities || []);
  let alarms = GW.data.alarms || [];
  let lastEventSeq = GW.data.lastEventSeq || 0;
  const fresh = new Set();

  const $ = (id) => document.getElementById(id);
  const rows = $('alarm-rows');
  const filters = { severity: $('f-severity'), state: $('f-state'), device: $('f-device'), text: $('f-text') };
  const deviceOf = (a) => a.device || (a.point ? a.point.slice(0, a.point.indexOf('.')) : null);
  const el = (tag, props, ...children) => {
    const node = Object.assign(document.createElement(tag), props || {});
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  };

  function visible(a) {
    if (a.state === 'normal') return false;
    if (filters.severity.value && a.severity !== filters.severity.value) return false;
    if (filters.state.value && a.state !== filters.state.value) return false;
    if (filters.device.value && deviceOf(a) !== filters.device.value) return false;
    const q = filters.text.value.trim().toLowerCase();
    if (q && !`${a.message} ${a.id} ${a.point || ''} ${devices[deviceOf(a)] || ''}`.toLowerCase().includes(q)) return false;
    return true;
  }

  function stateText(a) {
    let text = t(`alarm.state.${a.state}`);
    if (a.ackedBy && (a.state === 'acked' || a.state === 'normal')) text += ` · ${t('alarms.ackedBy', { who: a.ackedBy })}`;
    if (a.state === 'shelved' && a.shelvedUntil) text += ` · ${t('alarms.shelvedUntil', { time: GW.time(a.shelvedUntil) })}`;
    return text;
  }

  function actionButtons(a) {
    if (!canAct) return '';
    const box = el('div', { className: 'actions' });
    if (ACKABLE.has(a.state)) box.append(el('button', { type: 'button', textContent: t('alarms.ack'), onclick: () => openDialog('ack', a) }));
    if (a.state === 'shelved') box.append(el('button', { type: 'button', textContent: t('alarms.unshelve'), onclick: () => openDialog('unshelve', a) }));
    else if (a.state !== 'out-of-service') box.append(el('button', { type: 'button', textContent: t('alarms.shelve'), onclick: () => openDialog('shelve', a) }));
    return box;
  }

  function snapshotLink(a) {
    if (!a.raisedAt || !snapshotSeverities.has(a.severity)) return null;
    return el('a', { className: 'snapshot-link', href: `/snapshots/alarm/${encodeURIComponent(a.id)}`, textContent: t('alarms.snapshot') });
  }

  // An alarm grouped under its feeder's alarm (issue 15 topology correlation) says so: the
  // operator sees which alarm to work on first.
  function symptomNote(a) {
    if (!a.causeId) return null;
    const cause = alarms.find((c) => c.id === a.causeId);
    return el('small', { className: 'symptom-of', textContent: ` · ${t('incidents.symptomOf', { cause: cause?.message || a.causeId })}` });
  }

  function render() {
    const list = alarms
      .filter(visible)
      .sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || (b.raisedAt || 0) - (a.raisedAt || 0));
    if (list.length === 0) {
      rows.replaceChildren(el('tr', {}, el('td', { colSpan: 7, className: 'muted', textContent: t('alarms.none') })));
      return;
    }
    rows.replaceChildren(
      ...list.map((a) => {
        const tr = el(
          'tr',
          { className: `sev-${a.severity} st-${a.state}${fresh.has(a.id) ? ' fresh' : ''}` },
          el('td', {}, el('span', { className: 'sev', textContent: t(`severity.${a.severity}`) })),
          el('td', { textContent: GW.time(a.raisedAt) }),
          // The gateway's own alarms (system.storage) have a translated text; the reason is their value.
          el(
            'td',
            {},
            a.type === 'system' ? t(`alarms.${a.rule}`) : a.message,
            el('br'),
            el('small', { className: 'muted', textContent: a.id }),
            snapshotLink(a) ? ' · ' : null,
            snapshotLink(a),
            symptomNote(a),
          ),
          el('td', { textContent: a.type === 'system' ? t('alarms.gateway') : devices[deviceOf(a)] || deviceOf(a) || '—' }),
          el('td', { className: 'num', textContent: GW.format(a.value, a.unit) }),
          el('td', { className: 'state-chip', textContent: stateText(a) }),
          el('td', {}, actionButtons(a)),
        );
        tr.dataset.alarmId = a.id;
        tr.dataset.state = a.state;
        return tr;
      }),
    );
  }

  async function reload(events) {
    for (const e of events || []) if (e.transition === 'raised' && e.alarmId) fresh.add(e.alarmId);
    try {
      alarms = await GW.fetchJson('/api/v1/alarms?state=all');
    } catch {
      return;
    }
    render();
    if (!$('panel-history').hidden) loadHistory();
    setTimeout(() => {
      fresh.clear();
    }, 5000);
  }

  // --- acknowledge / shelve ---------------------------------------------------------------
  const dialog = $('action-dialog');
  let pending = null;
  function openDialog(kind, alarm) {
    pending = { kind, alarm };
    $('dialog-title').textContent = t(kind === 'ack' ? 'alarms.ack' : kind === 'shelve' ? 'alarms.shelve' : 'alarms.unshelve');
    $('dialog-alarm').textContent = alarm.message;
    $('dialog-minutes').hidden = kind !== 'shelve';
    $('minutes-label').hidden = kind !== 'shelve';
    $('dialog-comment').value = '';
    $('dialog-error').hidden = true;
    dialog.showModal();
    (kind === 'shelve' ? $('dialog-minutes') : $('dialog-comment')).focus();
  }
  $('dialog-confirm').addEventListener('click', async (e) => {
    e.preventDefault();
    if (!pending) return;
    const { kind, alarm } = pending;
    const comment = $('dialog-comment').value.trim();
    const body = kind === 'shelve' ? { minutes: Number($('dialog-minutes').value), comment } : { comment };
    try {
      await GW.fetchJson(`/api/v1/alarms/${encodeURIComponent(alarm.id)}/${kind}`, { method: 'POST', body });
      dialog.close();
      pending = null;
      await reload();
    } catch (err) {
      $('dialog-error').textContent = t('alarms.failed', { message: err.message });
      $('dialog-error').hidden = false;
    }
  });

  // --- history --------------------------------------------------------------------------------
  async function loadHistory() {
    let page;
    try {
      page = await GW.fetchJson(`/api/v1/events?after=${Math.max(0, lastEventSeq - 1000)}&limit=1000`);
    } catch {
      return;
    }
    const items = page.items.filter((e) => e.type.startsWith('alarm.')).reverse();
    if (page.items.length > 0) lastEventSeq = Math.max(lastEventSeq, page.next);
    $('history-rows').replaceChildren(
      ...(items.length === 0
        ? [el('tr', {}, el('td', { colSpan: 6, className: 'muted', textContent: t('alarms.none') }))]
        : items.slice(0, 500).map((e) =>
            el(
              'tr',
              { className: `sev-${e.data.severity}` },
              el('td', { textContent: GW.time(e.ts) }),
              el('td', { textContent: e.data.transition || e.type.slice(6) }),
              el('td', {}, el('span', { className: 'sev', textContent: t(`severity.${e.data.severity}`) })),
              el('td', { textContent: e.data.message || e.data.alarmId }),
              el('td', { textContent: e.data.who || '' }),
              el('td', { textContent: e.data.comment || '' }),
            ),
          )),
    );
  }

  // --- tabs, filters, sound -----------------------------------------------------------------
  const tabs = [$('tab-active'), $('tab-history')];
  for (const tab of tabs) {
    tab.addEventListener('click', () => {
      for (const other of tabs) {
        const on = other === tab;
        other.setAttribute('aria-selected', String(on));
        $(other.getAttribute('aria-controls')).hidden = !on;
      }
      if (tab.id === 'tab-history') loadHistory();
    });
  }
  for (const f of Object.values(filters)) f.addEventListener('input', render);
  const sound = $('sound');
  sound.checked = localStorage.getItem('gw-sound') === '1';
  sound.addEventListener('change', () => localStorage.setItem('gw-sound', sound.checked ? '1' : '0'));

  GW.on('alarms', (events) => {
    for (const e of events) lastEventSeq = Math.max(lastEventSeq, e.seq);
    reload(events);
  });
  GW.on('open', () => reload());
  render();
})();
