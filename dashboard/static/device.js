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

// Device page: the control card (issue 14). A write asks a second time (old → new) when the
// point's spec says confirm, goes to POST /api/v1/points/:id/write with the CSRF token, and its
// result shows in place; the history below reads `control.write` events of this device.
(() => {
  const GW = window.GW;
  const deviceId = GW.data.deviceId;
  const controls = document.querySelectorAll('[data-control]');
  const historyBody = document.getElementById('control-history');
  if (controls.length === 0 || !historyBody) return;
  const t = GW.t;
  const nameOf = new Map([...controls].map((c) => [c.dataset.control, { name: c.dataset.name, unit: c.dataset.unit || '' }]));

  const show = (value, unit) => {
    if (typeof value === 'boolean') return value ? t('control.on') : t('control.off');
    return GW.format(value, unit);
  };
  const reasonText = (code, message) => {
    const key = `control.reason.${code}`;
    const text = t(key);
    return text === key ? message || code : text;
  };

  /** What the result says, in the page's language: verified/written/failed (with the read-back) or the refusal. */
  function describe(body, unit) {
    if (body && body.result === 'verified') return { ok: true, text: t('control.verified', { value: show(body.readBack ?? body.requested, unit) }) };
    if (body && body.result === 'written') return { ok: true, text: t('control.written', { value: show(body.requested, unit) }) };
    const code = body?.reason || body?.error?.code || 'write-failed';
    const reason = reasonText(code, body?.error?.message || body?.message);
    if (body && body.result === 'failed') {
      const readBack = body.readBack === undefined ? '' : ` ${t('control.readBack', { value: show(body.readBack, unit) })}`;
      return { ok: false, text: t('control.failed', { reason: reason + readBack }) };
    }
    return { ok: false, text: t('control.refused', { reason }) };
  }

  async function post(pointId, value, comment) {
    const res = await fetch(`/api/v1/points/${encodeURIComponent(pointId)}/write`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': GW.csrf() },
      body: JSON.stringify(comment ? { value, comment } : { value }),
      credentials: 'same-origin',
    });
    if (res.status === 401) {
      location.href = `/login?expired=1&next=${encodeURIComponent(location.pathname)}`;
      throw new Error('logged out');
    }
    return res.json().catch(() => ({ error: { code: 'write-failed', message: `HTTP ${res.status}` } }));
  }

  for (const control of controls) {
    const form = control.querySelector('[data-control-form]');
    if (!form) continue; // the user's role may only look
    const pointId = control.dataset.control;
    const unit = control.dataset.unit || '';
    const confirmBox = control.querySelector('[data-control-confirm]');
    const result = control.querySelector('[data-control-result]');
    const input = form.querySelector('input[type="number"]');
    const comment = form.querySelector('input[name="comment"]');
    let pending;

    const setResult = (text, state) => {
      result.textContent = text;
      result.dataset.state = state;
    };
    const busy = (on) => {
      for (const b of control.querySelectorAll('button, input')) b.disabled = on;
    };

    async function send(value) {
      confirmBox.hidden = true;
      busy(true);
      setResult(t('control.sending', { value: show(value, unit) }), 'pending');
      try {
        const body = await post(pointId, value, comment?.value.trim() || '');
        const { ok, text } = describe(body, unit);
        setResult(text, ok ? 'ok' : 'bad');
        void refreshHistory(true);
      } catch (err) {
        setResult(t('common.error', { message: err.message }), 'bad');
      } finally {
        busy(false);
      }
    }

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      let value;
      if (input) {
        if (input.value.trim() === '' || !Number.isFinite(Number(input.value))) {
          setResult(t('control.emptyValue'), 'bad');
          return;
        }
        value = Number(input.value);
      } else {
        value = JSON.parse(event.submitter?.value ?? 'null');
      }
      if (control.dataset.confirm !== '1') {
        void send(value);
        return;
      }
      pending = value;
      const current = GW.latest.get(pointId);
      confirmBox.querySelector('[data-old]').textContent = current ? show(current.value, unit) : '—';
      confirmBox.querySelector('[data-new]').textContent = show(value, unit);
      setResult('', 'idle');
      confirmBox.hidden = false;
      confirmBox.querySelector('[data-confirm]').focus();
    });
    confirmBox.querySelector('[data-confirm]').addEventListener('click', () => void send(pending));
    confirmBox.querySelector('[data-cancel]').addEventListener('click', () => {
      confirmBox.hidden = true;
      pending = undefined;
    });
  }

  // --- history: this device's control.write events, newest first --------------------------------
  const HISTORY_ROWS = 20;
  /** how far back the page looks for past attempts, in events */
  const LOOK_BACK = 3000;
  const attempts = [];
  let after = Math.max(0, (GW.data.lastEventSeq || 0) - LOOK_BACK);

  function renderHistory() {
    const rows = attempts.slice(0, HISTORY_ROWS).map((e) => {
      const d = e.data;
      const point = nameOf.get(d.pointId) || { name: d.pointId, unit: '' };
      const row = document.createElement('tr');
      row.className = `control-${d.result}`;
      const cell = (text) => {
        const td = row.insertCell();
        td.textContent = text;
        return td;
      };
      cell(GW.time(e.ts));
      cell(d.actor ? `${d.actor.name} (${t(`role.${d.actor.role}`)})` : '—');
      cell(point.name);
      cell(`${d.oldValue === undefined || d.oldValue === null ? '—' : show(d.oldValue, point.unit)} → ${show(d.requested, point.unit)}`);
      const outcome = [t(`control.result.${d.result}`)];
      if (d.reason) outcome.push(reasonText(d.reason, d.message));
      if (d.readBack !== undefined && d.readBack !== null) outcome.push(t('control.readBack', { value: show(d.readBack, point.unit) }));
      if (d.comment) outcome.push(`“${d.comment}”`);
      cell(outcome.join(' · '));
      return row;
    });
    if (rows.length === 0) return;
    historyBody.replaceChildren(...rows);
  }

  async function loadNew() {
    for (let pages = 0; pages < 10; pages++) {
      const page = await GW.fetchJson(`/api/v1/events?after=${after}&limit=1000`);
      for (const e of page.items) {
        if (e.type === 'control.write' && e.data.deviceId === deviceId) attempts.unshift(e);
      }
      after = page.nextAfter;
      if (!page.more) return;
    }
  }

  /** after a write: its event commits with the store's next transaction, so look again briefly until it is there */
  async function refreshHistory(afterWrite) {
    const known = attempts.length;
    for (let tries = 0; tries < 10; tries++) {
      try {
        await loadNew();
      } catch {
        return;
      }
      renderHistory();
      if (!afterWrite || attempts.length > known) return;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
  void refreshHistory(false);
})();
