// System page: sync targets come from the health API (when the gateway syncs upstream).
(() => {
  const GW = window.GW;
  const box = document.getElementById('sync-targets');
  if (!box) return;
  GW.fetchJson('/api/v1/health')
    .then((health) => {
      const targets = health.sync?.targets;
      if (!Array.isArray(targets) || targets.length === 0) return;
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
      for (const x of targets) {
        const streams = Object.values(x.streams || {});
        const depth = streams.reduce((n, s) => n + (s.depth || 0), 0);
        const oldest = Math.max(0, ...streams.map((s) => s.oldestUnsentAgeMs || 0));
        const row = body.insertRow();
        row.insertCell().textContent = `${x.id} (${x.kind || ''})`;
        row.insertCell().textContent = String(depth);
        row.insertCell().textContent = oldest > 0 ? GW.age(oldest) : '—';
        row.insertCell().textContent = GW.time(x.lastSuccessAt ?? null);
        const err = row.insertCell();
        err.textContent = x.lastError || '—';
        if (x.lastError) err.className = 'bad';
      }
      box.classList.remove('muted');
      box.replaceChildren(table);
    })
    .catch(() => {});
})();
