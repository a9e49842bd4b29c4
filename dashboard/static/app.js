// Shared page script: the live stream (values, device status, alarm transitions), the alarm badge
// and the critical-alarm banner, value ages, and small helpers the page scripts use (window.GW).
// Plain ES2020, no build step; the page works without it, minus live updates.
(() => {
  const dataEl = document.getElementById('gw-data');
  const data = dataEl ? JSON.parse(dataEl.textContent || '{}') : {};
  const messages = data.messages || {};
  const listeners = { values: [], alarms: [], status: [], open: [] };
  const latest = new Map();

  const t = (key, params) =>
    (messages[key] || key).replace(/\{(\w+)\}/g, (m, name) => (params && name in params ? String(params[name]) : m));

  const formatNumber = (v) => {
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return v.toFixed(a >= 100 ? 1 : a >= 1 ? 2 : 3).replace(/\.?0+$/, '');
  };
  const format = (value, unit) => {
    if (value === null || value === undefined) return '—';
    const text = typeof value === 'number' ? formatNumber(value) : String(value);
    return unit ? `${text} ${unit}` : text;
  };
  const pad = (n) => String(n).padStart(2, '0');
  const time = (ms) => {
    if (ms === null || ms === undefined) return '—';
    const d = new Date(ms);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  };
  const age = (ms) => {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return `${s} s`;
    const m = Math.round(s / 60);
    if (m < 90) return `${m} min`;
    const h = Math.round(m / 60);
    return h < 36 ? `${h} h` : `${Math.round(h / 24)} d`;
  };
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') || '';
  const toLogin = () => {
    location.href = `/login?expired=1&next=${encodeURIComponent(location.pathname + location.search)}`;
  };

  async function fetchJson(url, options = {}) {
    const headers = { accept: 'application/json', ...(options.headers || {}) };
    const method = options.method || 'GET';
    if (method !== 'GET') headers['x-csrf-token'] = csrf();
    let body = options.body;
    if (body !== undefined && typeof body !== 'string') {
      body = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(url, { method, headers, body, credentials: 'same-origin' });
    if (res.status === 401) {
      toLogin();
      throw new Error('logged out');
    }
    const json = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) throw new Error(json?.error?.message || `HTTP ${res.status}`);
    return json;
  }

  // --- values on the page -------------------------------------------------------------------
  const byPoint = (attr, id) => document.querySelectorAll(`[${attr}="${CSS.escape(id)}"]`);

  function applyValue([id, value, quality, ts, reason]) {
    latest.set(id, { value, quality, ts, reason });
    for (const el of byPoint('data-point', id)) {
      const text = format(value, el.dataset.unit || '');
      if (el.textContent !== text) {
        el.textContent = text;
        el.classList.add('changed');
        setTimeout(() => el.classList.remove('changed'), 50);
      }
      el.className = el.className.replace(/\bq-\w+/, `q-${quality}`);
      el.title = reason ? `${t(`quality.${quality}`)}: ${reason}` : t(`quality.${quality}`);
    }
    for (const el of byPoint('data-quality', id)) {
      el.textContent = t(`quality.${quality}`) + (reason ? ` (${reason})` : '');
      el.className = `q q-${quality}`;
    }
    for (const el of byPoint('data-age', id)) el.dataset.ts = String(ts);
  }

  function updateFigures() {
    for (const el of document.querySelectorAll('[data-figure]')) {
      const values = el.dataset.points
        .split(' ')
        .map((id) => latest.get(id))
        .filter((v) => v && v.quality !== 'bad' && typeof v.value === 'number')
        .map((v) => v.value);
      if (values.length === 0) continue;
      const kind = el.dataset.aggregate;
      const v = kind === 'sum' ? values.reduce((a, b) => a + b, 0) : kind === 'max' ? Math.max(...values) : Math.min(...values);
      el.querySelector('.big').textContent = format(v, el.dataset.unit || '');
    }
  }

  setInterval(() => {
    const now = Date.now();
    for (const el of document.querySelectorAll('[data-age]')) {
      if (el.dataset.ts) el.textContent = age(now - Number(el.dataset.ts));
    }
  }, 1000);

  // --- alarms: badge and banner ---------------------------------------------------------------
  const SEVERITIES = ['critical', 'major', 'minor', 'warning'];
  const UNACKED = new Set(['unack', 'rtn-unack', 'latched']);
  const ATTENTION = new Set(['unack', 'acked', 'rtn-unack', 'latched']);
  async function refreshBadge() {
    const badge = document.getElementById('alarm-badge');
    if (!badge || !data.alarmsEnabled) return;
    let list;
    try {
      list = (await fetchJson('/api/v1/alarms?state=active')).filter((a) => ATTENTION.has(a.state));
    } catch {
      return;
    }
    const unacked = list.filter((a) => UNACKED.has(a.state));
    const worst = SEVERITIES.find((s) => unacked.some((a) => a.severity === s)) || SEVERITIES.find((s) => list.some((a) => a.severity === s));
    badge.hidden = list.length === 0;
    badge.className = `badge${worst ? ` sev-${worst}` : ''}${unacked.length > 0 ? ' blink' : ''}`;
    badge.dataset.count = String(list.length);
    badge.querySelector('b').textContent = String(list.length);
  }

  let audio;
  function beep() {
    if (localStorage.getItem('gw-sound') !== '1') return;
    try {
      audio = audio || new AudioContext();
      for (let i = 0; i < 3; i++) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.frequency.value = 880;
        gain.gain.value = 0.15;
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + i * 0.35);
        osc.stop(audio.currentTime + i * 0.35 + 0.2);
      }
    } catch {}
  }

  function onAlarmEvents(events) {
    const critical = events.find((e) => e.transition === 'raised' && e.severity === 'critical');
    if (critical) {
      const banner = document.getElementById('critical-banner');
      if (banner) {
        banner.querySelector('.text').textContent = t('alarms.newCritical', { message: critical.message || critical.alarmId });
        banner.hidden = false;
      }
      beep();
    }
    refreshBadge();
  }
  document.querySelector('#critical-banner .close')?.addEventListener('click', (e) => {
    e.currentTarget.parentElement.hidden = true;
  });

  // --- the live stream ------------------------------------------------------------------------
  const statusEl = document.getElementById('live-status');
  const setLive = (state) => {
    if (!statusEl) return;
    statusEl.dataset.state = state;
    statusEl.textContent = state === 'open' ? t('live.connected') : state === 'error' ? t('live.offline') : t('live.reconnecting');
  };
  let source;
  let retryMs = 1000;
  function connect() {
    if (!data.live) return;
    source = new EventSource(`/api/v1/live?${data.live}`);
    source.addEventListener('open', () => {
      retryMs = 1000;
      setLive('open');
      for (const fn of listeners.open) fn();
    });
    source.addEventListener('values', (e) => {
      const values = JSON.parse(e.data);
      for (const v of values) applyValue(v);
      updateFigures();
      for (const fn of listeners.values) fn(values);
    });
    source.addEventListener('status', (e) => {
      const status = JSON.parse(e.data);
      for (const fn of listeners.status) fn(status);
    });
    source.addEventListener('alarms', (e) => {
      const events = JSON.parse(e.data);
      onAlarmEvents(events);
      for (const fn of listeners.alarms) fn(events);
    });
    // This login opened more live pages than allowed and this one is the oldest: stay closed
    // (reconnecting would only push out another page), until the user reloads.
    source.addEventListener('bye', () => {
      source.close();
      if (statusEl) {
        statusEl.dataset.state = 'error';
        statusEl.textContent = t('live.tooMany');
      }
    });
    source.addEventListener('error', () => {
      // EventSource retries network errors itself; a refused stream (401, 5xx) it gives up on.
      if (source.readyState === EventSource.CONNECTING) {
        setLive('connecting');
        return;
      }
      setLive('error');
      source.close();
      fetch('/api/v1/session', { headers: { accept: 'application/json' } })
        .then((res) => {
          if (res.status === 401) toLogin();
        })
        .catch(() => {});
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30_000);
    });
  }

  for (const el of document.querySelectorAll('[data-autosubmit]')) {
    el.addEventListener('change', () => el.form?.submit());
  }

  window.GW = {
    data,
    t,
    format,
    time,
    age,
    csrf,
    fetchJson,
    latest,
    on(event, fn) {
      listeners[event].push(fn);
    },
    refreshBadge,
  };
  // Deferred page scripts run before DOMContentLoaded, so their listeners are in place first.
  document.addEventListener('DOMContentLoaded', connect);
})();
