// Device page: comm statistics and the device's alarms follow the live stream (point values and
// ages are updated by app.js).
(() => {
  const GW = window.GW;
  const deviceId = GW.data.deviceId;
  const comm = document.getElementById('comm');
  const SEVERITIES = ['critical', 'major', 'minor', 'warning'];

  const show = {
    state: (v) => GW.t(`status.${v}`),
    lastSuccess: (v) => GW.time(v),
    retryAt: (v) => GW.time(v),
    lastPollMs: (v) => (v === null ? '—' : `${v} ms`),
    lastError: (v) => v || '—',
  };
  GW.on('status', (status) => {
    const s = (status.devices || []).find((d) => d.deviceId === deviceId);
    if (!s || !comm) return;
    for (const el of comm.querySelectorAll('[data-status-field]')) {
      const field = el.dataset.statusField;
      if (!(field in s)) continue;
      el.textContent = show[field] ? show[field](s[field]) : String(s[field]);
    }
  });

  const deviceOf = (a) => a.device || (a.point ? a.point.slice(0, a.point.indexOf('.')) : null);
  async function refreshAlarms() {
    const section = document.getElementById('h-dev-alarms')?.parentElement;
    if (!section || !GW.data.alarmsEnabled) return;
    let list;
    try {
      list = (await GW.fetchJson('/api/v1/alarms?state=all')).filter((a) => deviceOf(a) === deviceId);
    } catch {
      return;
    }
    list.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || (b.raisedAt || 0) - (a.raisedAt || 0));
    const table = document.createElement('table');
    table.className = 'data';
    const body = table.createTBody();
    for (const a of list) {
      const row = body.insertRow();
      row.className = `sev-${a.severity} st-${a.state}`;
      const sev = document.createElement('span');
      sev.className = 'sev';
      sev.textContent = GW.t(`severity.${a.severity}`);
      row.insertCell().append(sev);
      row.insertCell().textContent = a.message;
      row.insertCell().textContent = GW.t(`alarm.state.${a.state}`);
      row.insertCell().textContent = GW.time(a.raisedAt);
    }
    const old = section.querySelector('table, p');
    if (list.length === 0) return;
    if (old) old.replaceWith(table);
    else section.append(table);
  }
  GW.on('alarms', refreshAlarms);
})();
