// Overview: device tile colours follow comm state and alarms; the alarm summary and the sync line
// refresh when alarms change (values and figures are updated by app.js).
(() => {
  const GW = window.GW;
  const SEVERITIES = ['critical', 'major', 'minor', 'warning'];
  const ATTENTION = new Set(['unack', 'acked', 'rtn-unack', 'latched']);
  const states = new Map();
  const worstByDevice = new Map();

  const deviceOf = (a) => a.device || (a.point ? a.point.slice(0, a.point.indexOf('.')) : null);

  function paintTile(tile) {
    const id = tile.dataset.device;
    const state = states.get(id);
    const severity = worstByDevice.get(id);
    const health = state === 'down' ? 'comm-down' : severity ? 'alarm' : !state || state === 'connecting' ? 'unknown' : 'ok';
    tile.className = `tile h-${health}${severity ? ` sev-${severity}` : ''}`;
    tile.dataset.health = health;
    const chip = tile.querySelector('.chip');
    chip.textContent = GW.t(
      health === 'comm-down' ? 'status.commDown' : health === 'alarm' ? 'status.alarm' : health === 'ok' ? 'status.ok' : 'status.connecting',
    );
  }
  const paintAll = () => {
    const counts = { ok: 0, alarm: 0, 'comm-down': 0, unknown: 0 };
    for (const tile of document.querySelectorAll('.tile[data-device]')) {
      paintTile(tile);
      counts[tile.dataset.health]++;
    }
    for (const [h, n] of Object.entries(counts)) {
      const el = document.querySelector(`.health-counts .h-${h} b`);
      if (el) el.textContent = String(n);
    }
  };

  GW.on('status', (status) => {
    if (!status.states) return;
    for (const [id, state] of status.states) states.set(id, state);
    paintAll();
  });

  async function refreshAlarms() {
    if (!GW.data.alarmsEnabled) return;
    let list;
    try {
      list = (await GW.fetchJson('/api/v1/alarms?state=active')).filter((a) => ATTENTION.has(a.state));
    } catch {
      return;
    }
    worstByDevice.clear();
    for (const a of list) {
      const d = deviceOf(a);
      if (!d || !a.active) continue;
      const known = worstByDevice.get(d);
      if (!known || SEVERITIES.indexOf(a.severity) < SEVERITIES.indexOf(known)) worstByDevice.set(d, a.severity);
    }
    for (const s of SEVERITIES) {
      const el = document.querySelector(`[data-sev-count="${s}"]`);
      if (!el) continue;
      // causes only: an alarm grouped under another as its symptom is not counted again
      const n = list.filter((a) => a.severity === s && !a.causeId).length;
      el.querySelector('b').textContent = String(n);
      el.classList.toggle('on', n > 0);
    }
    // incidents and causes, not symptoms (issue 15): kept current like the severity counts
    const causes = document.getElementById('overview-causes');
    if (causes) causes.textContent = String(list.filter((a) => !a.causeId).length);
    const incidents = document.getElementById('overview-incidents');
    if (incidents) {
      GW.fetchJson('/api/v1/incidents')
        .then((all) => {
          incidents.textContent = String(all.filter((i) => i.state !== 'normal').length);
        })
        .catch(() => {});
    }
    const ul = document.getElementById('overview-alarms');
    if (ul) {
      list = list.filter((a) => !a.causeId);
      list.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || (b.raisedAt || 0) - (a.raisedAt || 0));
      ul.replaceChildren(
        ...(list.length === 0
          ? [Object.assign(document.createElement('li'), { className: 'empty', textContent: GW.t('overview.noAlarms') })]
          : list.slice(0, 8).map((a) => {
              const li = document.createElement('li');
              li.className = `sev-${a.severity} st-${a.state}`;
              const sev = Object.assign(document.createElement('span'), { className: 'sev', textContent: GW.t(`severity.${a.severity}`) });
              const msg = Object.assign(document.createElement('span'), { className: 'msg', textContent: a.type === 'system' ? GW.t(`alarms.${a.rule}`) : a.message });
              const st = Object.assign(document.createElement('span'), { className: 'state', textContent: GW.t(`alarm.state.${a.state}`) });
              li.append(sev, ' ', msg, ' ', st);
              return li;
            })),
      );
    }
    paintAll();
  }

  async function refreshSync() {
    const el = document.getElementById('sync-summary');
    if (!el) return;
    try {
      const sync = (await GW.fetchJson('/api/v1/health')).sync;
      const all = [...(sync?.targets || []), ...(sync?.pull || [])];
      if (all.length === 0) return;
      el.classList.remove('muted');
      el.replaceChildren(
        ...all.map((x) => {
          const streams = Object.values(x.streams || {});
          const depth = streams.reduce((n, st) => n + (st.depth || 0), 0);
          const age = Math.max(0, ...streams.map((st) => st.oldestUnsentAgeS || 0));
          const div = document.createElement('div');
          const err = x.lastError?.message;
          div.className = `kv${err ? ' q-bad' : ''}`;
          const name = Object.assign(document.createElement('span'), { textContent: `${x.id} (${x.kind})` });
          const value = Object.assign(document.createElement('span'), {
            className: 'v',
            textContent: `${depth.toLocaleString()}${age > 0 ? ` · ${GW.age(age * 1000)}` : ''}${err ? ` · ${err}` : ''}`,
          });
          div.append(name, value);
          return div;
        }),
      );
    } catch {}
  }

  // "forecast: HI in 12 min" (issue 16): per device the nearest limit crossing of its analysed
  // points' forecasts. Refreshed with the alarm list (a forecast.limit pre-alarm is an alarm) and
  // every 10 s, since a forecast moves between alarm transitions.
  async function refreshForecasts() {
    if (!GW.data.analyticsEnabled) return;
    let list;
    try {
      list = await GW.fetchJson('/api/v1/analytics');
    } catch {
      return;
    }
    const nearest = new Map();
    for (const s of list) {
      if (!s.nextCrossing) continue;
      const device = s.point.slice(0, s.point.indexOf('.'));
      const known = nearest.get(device);
      if (!known || s.nextCrossing.at < known.at) nearest.set(device, { ...s.nextCrossing, point: s.point });
    }
    for (const badge of document.querySelectorAll('[data-forecast]')) {
      const f = nearest.get(badge.dataset.forecast);
      badge.hidden = !f;
      badge.textContent = f
        ? GW.t('overview.forecast', { level: f.level.toUpperCase(), minutes: String(Math.max(1, Math.round((f.at - Date.now()) / 60_000))) })
        : '';
      badge.title = f ? f.point : '';
    }
  }

  // Start from what the server drew, so a status event before the alarm list loses no colour.
  for (const tile of document.querySelectorAll('.tile[data-device]')) {
    const sev = /\bsev-(\w+)/.exec(tile.className);
    if (sev) worstByDevice.set(tile.dataset.device, sev[1]);
    if (tile.dataset.health === 'comm-down') states.set(tile.dataset.device, 'down');
  }
  // An incident's own event is committed just after the alarm events that made it: look again shortly.
  let again;
  GW.on('alarms', () => {
    refreshAlarms();
    refreshForecasts();
    clearTimeout(again);
    again = setTimeout(refreshAlarms, 1500);
  });
  GW.on('open', () => {
    refreshAlarms();
    refreshSync();
    refreshForecasts();
  });
  setInterval(refreshSync, 30_000);
  setInterval(refreshForecasts, 10_000);
})();
