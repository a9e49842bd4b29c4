// Analytics: one row per analysed point (training state, baseline kind, last fit, checks, active
// findings, next forecast crossing and, for a UPS runtime point, the runtime under the load trend),
// each linked to its trend. Refreshed every 15 s.
(() => {
  const GW = window.GW;
  const { t } = GW;
  const rows = document.getElementById('analytics-rows');
  if (!rows) return;
  const el = (tag, props, ...children) => {
    const node = Object.assign(document.createElement(tag), props || {});
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  };
  const checkName = (c) => t(`analytics.check.${c}`);

  function stateText(s) {
    if (s.state === 'training') return t('analytics.training', { done: String(s.trainedMinutes), needed: String(s.minTrainingMinutes) });
    return `${t('analytics.ready')} · ${t('analytics.baseline', { kind: t(`analytics.kind.${s.baselineKind}`) })}`;
  }

  function crossingText(c, unit) {
    if (!c) return '—';
    const minutes = Math.max(1, Math.round((c.at - Date.now()) / 60_000));
    return t('analytics.crossing', { level: c.level.toUpperCase(), limit: GW.format(c.limit, unit), minutes: String(minutes) });
  }

  // only UPS runtime points have `battery` (null until there are load samples enough for a trend)
  function batteryText(b) {
    if (b === undefined) return null;
    if (b === null) return el('small', { className: 'battery muted', textContent: t('analytics.batteryWaiting') });
    const low = b.minRuntimeMin !== null && b.projectedMin < b.minRuntimeMin;
    const text = t('analytics.battery', { projected: String(Math.round(b.projectedMin)), runtime: String(Math.round(b.runtimeMin)) });
    return el('small', { className: low ? 'battery bad' : 'battery', textContent: text });
  }

  function row(s) {
    const link = el('a', { href: `/trends?points=${encodeURIComponent(s.point)}&range=1h`, textContent: s.name });
    const tr = el(
      'tr',
      { className: s.active.length > 0 ? 'sev-minor' : '' },
      el('td', {}, link, el('br'), el('small', { className: 'muted', textContent: s.point })),
      el('td', { className: `state st-${s.state}`, textContent: stateText(s) }),
      el('td', { textContent: s.lastFitAt ? GW.time(s.lastFitAt) : t('analytics.never') }),
      el('td', { textContent: s.checks.map(checkName).join(', ') }),
      el('td', { className: s.active.length > 0 ? 'bad' : '', textContent: s.active.length > 0 ? s.active.map(checkName).join(', ') : t('analytics.noFindings') }),
      el('td', { className: 'next' }, crossingText(s.nextCrossing, s.unit), ...(s.battery === undefined ? [] : [el('br'), batteryText(s.battery)])),
    );
    tr.dataset.point = s.point;
    tr.dataset.state = s.state;
    return tr;
  }

  function render(list) {
    rows.replaceChildren(...list.map(row));
  }

  async function refresh() {
    try {
      render(await GW.fetchJson('/api/v1/analytics'));
    } catch {}
  }

  render(GW.data.analytics || []);
  setInterval(refresh, 15_000);
})();
