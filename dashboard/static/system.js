// System page: sync targets and pull consumers come from the health API (when the gateway syncs).
(() => {
  const GW = window.GW;
  const box = document.getElementById('sync-targets');
  if (!box) return;
  GW.fetchJson('/api/v1/health')
    .then((health) => {
      const all = [...(health.sync?.targets || []), ...(health.sync?.pull || [])];
      if (all.length === 0) return;
      const table = document.createElement('table');
      table.className = 'data';
      const head = table.createTHead().insertRow();
      for (const key of ['system.target', 'system.backlog', 'system.oldest', 'system.lastSuccess', 'system.lastError']) {
        const th = document.createElement('th');
        th.scope = 'col';
        th.textContent = GW.t(key);
        head.append(th);
      }
      const body = table.createTBody();
      for (const x of all) {
        const streams = Object.values(x.streams || {});
        const depth = streams.reduce((n, s) => n + (s.depth || 0), 0);
        const oldest = Math.max(0, ...streams.map((s) => s.oldestUnsentAgeS || 0));
        const row = body.insertRow();
        const name = row.insertCell();
        name.textContent = `${x.id} (${x.kind}${x.state ? `, ${x.state}` : ''})`;
        // A time-series database takes readings only: its events are not a backlog, say so instead.
        if (x.notApplicable?.length) {
          const note = document.createElement('div');
          note.className = 'muted';
          note.textContent = GW.t('system.notApplicable', { streams: x.notApplicable.map((n) => n.stream).join(', ') });
          name.append(note);
        }
        const d = row.insertCell();
        d.className = 'num';
        d.textContent = depth.toLocaleString();
        row.insertCell().textContent = oldest > 0 ? GW.age(oldest * 1000) : '—';
        row.insertCell().textContent = GW.time(x.lastSuccess ?? x.lastAck ?? null);
        const err = row.insertCell();
        err.textContent = x.lastError?.message || '—';
        if (x.lastError) err.className = 'bad';
      }
      box.classList.remove('muted');
      const wrap = document.createElement('div');
      wrap.className = 'table-wrap';
      wrap.append(table);
      box.replaceChildren(wrap);
    })
    .catch(() => {});
})();
