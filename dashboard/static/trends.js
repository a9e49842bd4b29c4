// Trends: one chart per unit, min/max band and average line per point (uPlot, served locally).
// The 1 h view follows the live stream; longer views refresh every minute. An analysed point
// (issue 16) also gets its learned normal band shaded behind its line, and, on the views that end
// now, its forecast (mean line and lo..hi shade) beyond now in another shade.
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
  const FORECAST_COLOR = '#e8a33d';
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

  // The learned band and the forecast of the analysed points among `group`: uPlot series and
  // tables drawn before the points' own, so their shades lie behind the lines. A legend entry each.
  function analyticsLayers(group, unit, extras) {
    const uSeries = [];
    const bands = [];
    const tables = [];
    const legend = [];
    let forecastEnd = 0;
    const fmt = (_u, v) => GW.format(v, unit);
    for (const { s, color } of group) {
      const extra = extras.get(s.pointId);
      if (!extra) continue;
      const name = trend.points.find((p) => p.id === s.pointId)?.name || s.name;
      if (extra.band && extra.band.ts.length > 0) {
        const base = uSeries.length + 1;
        uSeries.push({ label: `${name} ${t('trends.bandLo')}`, stroke: `${color}55`, width: 1, points: { show: false }, value: fmt });
        uSeries.push({ label: `${name} ${t('trends.bandHi')}`, stroke: `${color}55`, width: 1, points: { show: false }, value: fmt });
        bands.push({ series: [base + 1, base], fill: `${color}24` });
        tables.push([extra.band.ts.map((v) => v / 1000), extra.band.lo, extra.band.hi]);
        legend.push({ kind: 'band', text: `${name}: ${t('trends.band')}`, fill: `${color}24`, stroke: `${color}55` });
      }
      if (extra.forecast && extra.forecast.ts.length > 0) {
        const base = uSeries.length + 1;
        uSeries.push({ label: `${name} ${t('trends.forecast')}`, stroke: FORECAST_COLOR, width: 2, dash: [6, 4], points: { show: false }, value: fmt });
        uSeries.push({ label: `${name} ${t('trends.forecastLo')}`, stroke: `${FORECAST_COLOR}66`, width: 1, points: { show: false }, value: fmt });
        uSeries.push({ label: `${name} ${t('trends.forecastHi')}`, stroke: `${FORECAST_COLOR}66`, width: 1, points: { show: false }, value: fmt });
        bands.push({ series: [base + 2, base + 1], fill: `${FORECAST_COLOR}33` });
        tables.push([extra.forecast.ts.map((v) => v / 1000), extra.forecast.mean, extra.forecast.lo, extra.forecast.hi]);
        forecastEnd = Math.max(forecastEnd, extra.forecast.ts[extra.forecast.ts.length - 1]);
        legend.push({ kind: 'forecast', text: `${name}: ${t('trends.forecast')}`, fill: `${FORECAST_COLOR}33`, stroke: FORECAST_COLOR });
      } else if (extra.forecast && extra.forecast.state === 'not-enough-data') {
        legend.push({ kind: 'forecast-waiting', text: `${name}: ${t('trends.forecastWaiting')}` });
      }
    }
    return { uSeries, bands, tables, legend, forecastEnd };
  }

  function legendList(entries) {
    const ul = document.createElement('ul');
    ul.className = 'analytics-legend';
    for (const e of entries) {
      const li = document.createElement('li');
      li.dataset.legend = e.kind;
      if (e.fill) {
        const swatch = document.createElement('span');
        swatch.className = 'swatch';
        swatch.style.background = e.fill;
        swatch.style.borderColor = e.stroke;
        li.append(swatch, ' ');
      }
      li.append(e.text);
      ul.append(li);
    }
    return ul;
  }

  function draw(result, extras = new Map()) {
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
      const layers = analyticsLayers(group, unit, extras);
      if (layers.legend.length > 0) wrap.append(legendList(layers.legend));
      box.append(wrap);
      const raw = result.bucketMs === 0;
      const uSeries = [{}, ...layers.uSeries];
      const bands = [...layers.bands];
      const tables = [...layers.tables];
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
          scales: { x: { time: true, min: from / 1000, max: Math.max(to, layers.forecastEnd) / 1000 } },
          axes: [axis, { ...axis, size: 60 }],
          cursor: { drag: { x: true, y: false } },
        },
        data,
        wrap,
      );
      chart.gwUnit = unit;
      wrap.dataset.analytics = layers.legend.map((e) => e.kind).join(' ');
      charts.push(chart);
    }
  }

  // The band of each analysed point over the shown range; its forecast only on views that end now.
  async function analyticsOf() {
    const extras = new Map();
    await Promise.all(
      trend.points
        .filter((p) => p.analysed)
        .map(async (p) => {
          const id = encodeURIComponent(p.id);
          const [band, forecast] = await Promise.all([
            GW.fetchJson(`/api/v1/points/${id}/baseline?from=${from}&to=${to}`).catch(() => null),
            p.forecast && live ? GW.fetchJson(`/api/v1/points/${id}/forecast`).catch(() => null) : null,
          ]);
          extras.set(p.id, { band, forecast });
        }),
    );
    return extras;
  }

  async function load() {
    const ids = trend.points.map((p) => p.id).join(',');
    try {
      const [result, extras] = await Promise.all([GW.fetchJson(`/api/v1/trends?points=${encodeURIComponent(ids)}&from=${from}&to=${to}`), analyticsOf()]);
      draw(result, extras);
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
