// Trends: one chart per unit, min/max band and average line per point (uPlot, served locally).
// The 1 h view follows the live stream; longer views refresh every minute.
(() => {
  const GW = window.GW;
  const { t } = GW;

  const filter = document.getElementById('point-filter');
  filter?.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    for (const label of document.querySelectorAll('#point-checks label')) {
      label.hidden = q !== '' && !label.textContent.toLowerCase().includes(q);
    }
  });

  const trend = GW.data.trend;
  const box = document.getElementById('charts');
  if (!trend || trend.points.length === 0 || !window.uPlot || !box) return;
  const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#393b79', '#637939'];
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const RANGE_MS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 604_800_000 };
  let charts = [];
  let series = [];
  let from = trend.from;
  let to = trend.to;

  function stats(s) {
    const mins = s.min.filter((v) => v !== null);
    const maxs = s.max.filter((v) => v !== null);
    const avgs = s.avg.filter((v) => v !== null);
    if (avgs.length === 0) return '';
    const avg = avgs.reduce((a, b) => a + b, 0) / avgs.length;
    return `${t('trends.min')} ${GW.format(Math.min(...mins), s.unit)} · ${t('trends.max')} ${GW.format(Math.max(...maxs), s.unit)} · ${t('trends.avg')} ${GW.format(avg, s.unit)}`;
  }

  function draw(result) {
    for (const c of charts) c.destroy();
    charts = [];
    series = result.series;
    box.replaceChildren();
    if (series.every((s) => s.ts.length === 0)) {
      box.append(Object.assign(document.createElement('p'), { className: 'muted', textContent: t('trends.empty') }));
      return;
    }
    const byUnit = new Map();
    series.forEach((s, i) => {
      const key = s.unit || '';
      if (!byUnit.has(key)) byUnit.set(key, []);
      byUnit.get(key).push({ s, color: COLORS[i % COLORS.length] });
    });
    const width = Math.max(300, box.clientWidth - 8);
    for (const [unit, group] of byUnit) {
      const wrap = document.createElement('div');
      wrap.className = 'chart';
      const h3 = document.createElement('h3');
      h3.textContent = unit || '—';
      wrap.append(h3);
      for (const { s, color } of group) {
        const p = document.createElement('p');
        p.className = 'stats';
        p.textContent = `${trend.points.find((x) => x.id === s.pointId)?.device || s.deviceId} · ${s.name}: ${stats(s)}`;
        p.style.borderLeft = `4px solid ${color}`;
        p.style.paddingLeft = '6px';
        wrap.append(p);
      }
      box.append(wrap);
      const raw = result.bucketMs === 0;
      const uSeries = [{}];
      const bands = [];
      const tables = [];
      for (const { s, color } of group) {
        const label = `${trend.points.find((p) => p.id === s.pointId)?.device || s.deviceId} · ${s.name}`;
        const xs = s.ts.map((v) => v / 1000);
        if (raw) {
          uSeries.push({ label, stroke: color, width: 1.5, value: (_u, v) => GW.format(v, unit) });
          tables.push([xs, s.avg]);
        } else {
          const base = uSeries.length;
          uSeries.push({ label: `${label} ${t('trends.avg')}`, stroke: color, width: 2, value: (_u, v) => GW.format(v, unit) });
          uSeries.push({ label: t('trends.min'), stroke: `${color}88`, width: 1, dash: [4, 4], value: (_u, v) => GW.format(v, unit) });
          uSeries.push({ label: t('trends.max'), stroke: `${color}88`, width: 1, dash: [4, 4], value: (_u, v) => GW.format(v, unit) });
          bands.push({ series: [base + 2, base + 1], fill: `${color}22` });
          tables.push([xs, s.avg, s.min, s.max]);
        }
      }
      const data = tables.length === 1 ? tables[0] : window.uPlot.join(tables);
      const axis = { stroke: css('--muted'), grid: { stroke: css('--border'), width: 1 }, ticks: { stroke: css('--border') } };
      const chart = new window.uPlot(
        {
          width,
          height: 260,
          series: uSeries,
          bands,
          scales: { x: { time: true, min: from / 1000, max: to / 1000 } },
          axes: [axis, { ...axis, size: 60 }],
          cursor: { drag: { x: true, y: false } },
        },
        data,
        wrap,
      );
      chart.gwUnit = unit;
      charts.push(chart);
    }
  }

  async function load() {
    const ids = trend.points.map((p) => p.id).join(',');
    try {
      draw(await GW.fetchJson(`/api/v1/trends?points=${encodeURIComponent(ids)}&from=${from}&to=${to}`));
    } catch (err) {
      box.replaceChildren(Object.assign(document.createElement('p'), { className: 'notice error', textContent: t('common.error', { message: err.message }) }));
    }
    const csv = document.getElementById('csv-link');
    if (csv) csv.href = `/api/v1/trends.csv?points=${encodeURIComponent(ids)}&from=${from}&to=${to}`;
  }

  const live = trend.range in RANGE_MS;
  if (live) {
    setInterval(() => {
      to = Date.now();
      from = to - RANGE_MS[trend.range];
      load();
    }, trend.range === '1h' ? 15_000 : 60_000);
  }
  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      const w = Math.max(300, box.clientWidth - 8);
      for (const c of charts) c.setSize({ width: w, height: 260 });
    }, 200);
  });
  load();
})();
