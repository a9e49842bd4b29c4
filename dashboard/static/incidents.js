// Incidents on the alarm console (issue 15): each incident with severity, message, state and an
// acknowledge button; expanding it shows its member alarms, causes first, each cause's symptoms
// indented under it. Alarms grouped as symptoms outside any incident are listed under their cause
// too. Refreshed with the alarm list by the live stream.
(() => {
  const GW = window.GW;
  const { t } = GW;
  const ACKABLE = new Set(['unack', 'rtn-unack', 'latched']);
  const canAct = GW.data.canAct === true;
  const box = document.getElementById('incident-list');
  if (!box) return;
  let incidents = GW.data.incidents || [];
  let alarms = GW.data.alarms || [];
  const open = new Set();
  const el = (tag, props, ...children) => {
    const node = Object.assign(document.createElement(tag), props || {});
    node.append(...children.filter((c) => c !== null && c !== undefined && c !== ''));
    return node;
  };
  const byId = () => new Map(alarms.map((a) => [a.id, a]));
  const label = (a) => a?.message || a?.id || '';

  function alarmLine(a, causeText) {
    return el(
      'li',
      { className: `sev-${a.severity || 'minor'}` },
      el('span', { className: 'sev', textContent: a.severity ? t(`severity.${a.severity}`) : '' }),
      ' ',
      label(a),
      ' ',
      el('small', { className: 'muted', textContent: a.id }),
      a.state ? el('span', { className: 'state-chip', textContent: ` · ${t(`alarm.state.${a.state}`)}` }) : null,
      causeText ? el('small', { className: 'symptom-of', textContent: ` · ${causeText}` }) : null,
    );
  }

  function causeItem(cause, alarmMap) {
    const li = alarmLine(cause.alarm, cause.causeId ? t('incidents.symptomOf', { cause: label(alarmMap.get(cause.causeId)) || cause.causeId }) : '');
    if (cause.symptoms.length > 0) {
      li.append(el('ul', { className: 'symptoms' }, ...cause.symptoms.map((s) => alarmLine(s, t('incidents.symptomOf', { cause: label(cause.alarm) })))));
    }
    return li;
  }

  async function ack(incident, button) {
    button.disabled = true;
    try {
      await GW.fetchJson(`/api/v1/incidents/${encodeURIComponent(incident.id)}/ack`, { method: 'POST', body: {} });
      await reload();
    } catch (err) {
      button.disabled = false;
      button.title = t('alarms.failed', { message: err.message });
    }
  }

  function render() {
    const alarmMap = byId();
    const shown = incidents.filter((i) => i.state !== 'normal');
    const items = shown.map((i) => {
      const details = el('details', { className: `incident sev-${i.severity} st-${i.state}`, open: open.has(i.id) });
      details.addEventListener('toggle', () => (details.open ? open.add(i.id) : open.delete(i.id)));
      details.dataset.incidentId = i.id;
      details.dataset.state = i.state;
      const summary = el(
        'summary',
        {},
        el('span', { className: 'sev', textContent: t(`severity.${i.severity}`) }),
        ' ',
        el('b', { textContent: i.message }),
        ' ',
        el('span', { className: 'state-chip', textContent: `${t(`alarm.state.${i.state}`)}${i.ackedBy ? ` · ${t('alarms.ackedBy', { who: i.ackedBy })}` : ''}` }),
        ' ',
        el('small', { className: 'muted', textContent: `${GW.time(i.raisedAt)} · ${t('incidents.members', { count: i.members.length })}` }),
      );
      if (canAct && ACKABLE.has(i.state)) {
        const button = el('button', { type: 'button', className: 'incident-ack', textContent: t('alarms.ack') });
        button.addEventListener('click', (e) => {
          e.preventDefault();
          ack(i, button);
        });
        summary.append(' ', button);
      }
      details.append(summary, el('ul', { className: 'incident-members' }, ...i.causes.map((c) => causeItem(c, alarmMap))));
      return details;
    });
    // Built-in grouping outside any incident: causes with their symptoms.
    const inIncident = new Set(shown.flatMap((i) => i.members));
    const groups = new Map();
    for (const a of alarms) {
      if (!a.causeId || a.state === 'normal' || inIncident.has(a.id) || inIncident.has(a.causeId)) continue;
      if (!groups.has(a.causeId)) groups.set(a.causeId, []);
      groups.get(a.causeId).push(a);
    }
    const grouped = [...groups].map(([causeId, symptoms]) =>
      el('ul', { className: 'incident-members cause-group' }, causeItem({ alarm: alarmMap.get(causeId) || { id: causeId }, causeId: null, symptoms }, alarmMap)),
    );
    if (items.length === 0 && grouped.length === 0) {
      box.replaceChildren(el('p', { className: 'muted', textContent: t('incidents.none') }));
      return;
    }
    box.replaceChildren(...items, ...(grouped.length > 0 ? [el('h3', { textContent: t('incidents.grouped') }), ...grouped] : []));
  }

  async function reload() {
    try {
      [incidents, alarms] = await Promise.all([GW.fetchJson('/api/v1/incidents'), GW.fetchJson('/api/v1/alarms?state=all')]);
    } catch {
      return;
    }
    render();
  }

  // An incident's own event is committed just after the alarm events that made it: look again shortly.
  let again;
  GW.on('alarms', () => {
    reload();
    clearTimeout(again);
    again = setTimeout(reload, 1500);
  });
  GW.on('open', () => reload());
  // rules with time windows change without an alarm transition
  setInterval(reload, 10_000);
  render();
})();
