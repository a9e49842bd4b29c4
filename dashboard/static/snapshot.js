// Event snapshot: the related points' readings around the raise, one chart per unit in the trend
// page's style (uPlot, served locally), a vertical line at the raise moment, the window's transitions.
(() => {
  const GW = window.GW;
  const { t } = GW;
  const snap = GW.data.snapshot;
  const box = document.getElementById('charts');
  if (!snap || !box) return;
  const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#393b79', '#637939'];
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const el = (tag, props, ...children) => {
    const node = Object.assign(document.createElement(tag), props || {});
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  };

  const meta = document.getElementById('snapshot-meta');
  meta.textContent = [
    t('snapshot.raised', { time: GW.time(snap.raisedAt) }),
    t('snapshot.window', { from: GW.time(snap.from), to: GW.time(snap.to) }),
    snap.closed ? t('snapshot.closed') : t('snapshot.filling', { time: GW.time(snap.to) }),
  ].join(' · ');

  const tbody = document.getElementById('snapshot-transitions');
  tbody.replaceChildren(
    ...snap.alarms.map((a) =>
      el('tr', {}, el('td', { textContent: GW.time(a.ts) }), el('td', { textContent: a.type }), el('td', { textContent: `${a.id}${a.message ? ` · ${a.message}` : ''}` })),
    ),
  );

  // The raise moment: a dashed vertical line drawn over the plot after each redraw.
  const raiseLine = (u) => {
    const x = Math.round(u.valToPos(snap.raisedAt / 1000, 'x', true));
    const { ctx } = u;
    ctx.save();
    ctx.strokeStyle = css('--critical') || '#b3141b';
    ctx.lineWidth = 2;
    ctx.setLineDash([6, 4]);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.fillStyle = ctx.strokeStyle;
    ctx.fillText(t('snapshot.raiseMark'), x + 4, u.bbox.top + 12);
    ctx.restore();
  };

  const numeric = snap.series.filter((s) => s.value.some((v) => typeof v === 'number'));
  if (numeric.length === 0 || !window.uPlot) {
    box.replaceChildren(el('p', { className: 'muted', textContent: t('snapshot.empty') }));
    return;
  }
  const byUnit = new Map();
  numeric.forEach((s, i) => {
    const key = s.unit || '';
    if (!byUnit.has(key)) byUnit.set(key, []);
    byUnit.get(key).push({ s, color: COLORS[i % COLORS.length] });
  });
  box.replaceChildren();
  const charts = [];
  const width = Math.max(300, box.clientWidth - 8);
  for (const [unit, group] of byUnit) {
    const wrap = el('div', { className: 'chart' }, el('h3', { textContent: unit || '—' }));
    box.append(wrap);
    const uSeries = [{}];
    const tables = [];
    for (const { s, color } of group) {
      uSeries.push({ label: `${s.pointId} · ${s.name}`, stroke: color, width: 1.5, value: (_u, v) => GW.format(v, unit) });
      tables.push([s.ts.map((v) => v / 1000), s.value.map((v) => (typeof v === 'number' ? v : null))]);
    }
    const data = tables.length === 1 ? tables[0] : window.uPlot.join(tables);
    const axis = { stroke: css('--muted'), grid: { stroke: css('--border'), width: 1 }, ticks: { stroke: css('--border') } };
    const chart = new window.uPlot(
      {
        width,
        height: 260,
        series: uSeries,
        scales: { x: { time: true, min: snap.from / 1000, max: snap.to / 1000 } },
        axes: [axis, { ...axis, size: 60 }],
        cursor: { drag: { x: true, y: false } },
        hooks: { draw: [raiseLine] },
      },
      data,
      wrap,
    );
    charts.push(chart);
  }
  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      const w = Math.max(300, box.clientWidth - 8);
      for (const c of charts) c.setSize({ width: w, height: 260 });
    }, 200);
  });
})();
