// Line charts over time as inline SVG: no scripts, no fonts or libraries to fetch, so a report opens
// anywhere (a CI artifact, an email attachment, offline). One path per series, a point per second.

export interface LineSeries {
  name: string;
  colour: string;
  values: (number | null)[];
  dashed?: boolean;
  /** Fill the area under the line (lightly). */
  fill?: boolean;
}

export interface LineChart {
  title: string;
  unit: string;
  /** x positions in seconds since the start (one per value). */
  x: number[];
  xMax: number;
  series: LineSeries[];
  /** Vertical bands, e.g. the surge's stages: [from, to, label]. */
  bands?: [number, number, string][];
  /** Logarithmic y axis (for latency spanning orders of magnitude). */
  log?: boolean;
  id?: string;
  /** Moments marked by a vertical line and a short label at the top (alerts, actions taken). */
  markers?: ChartMarker[];
}

export interface ChartMarker { t: number; label: string; colour: string }

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v - 1e-9) return m * p;
  return 10 * p;
}

function tickStep(range: number, target = 6): number {
  const raw = range / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function fmtTick(v: number): string {
  if (v >= 1000) return `${Number((v / 1000).toFixed(v % 1000 ? 1 : 0))}k`;
  if (v >= 10 || v === 0) return String(Math.round(v));
  return String(Number(v.toFixed(v < 1 ? 2 : 1)));
}

function fmtTime(s: number): string {
  const t = Math.round(s);
  return t >= 3600 ? `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}` : `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}

export function lineChartSvg(chart: LineChart, width = 960, height = 260): string {
  const left = 64;
  const right = 16;
  const top = 40;
  const bottom = 34;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const finite = chart.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const xMax = Math.max(1, chart.xMax);
  const px = (t: number) => left + (Math.max(0, Math.min(t, xMax)) / xMax) * plotW;
  let py: (v: number) => number;
  const ticks: number[] = [];
  if (chart.log) {
    const positive = finite.filter((v) => v > 0);
    const lo = 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(...positive, 1))));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(...positive, lo * 10)));
    const span = Math.log10(hi) - Math.log10(lo);
    py = (v: number) => top + plotH - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * plotH;
    for (let v = lo; v <= hi * 1.0001; v *= 10) ticks.push(v);
  } else {
    const max = niceCeil(Math.max(...finite, 0) * 1.05 || 1);
    const step = tickStep(max);
    py = (v: number) => top + plotH - (Math.max(0, v) / max) * plotH;
    for (let v = 0; v <= max + 1e-9; v += step) ticks.push(v);
  }
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(chart.title)}"${chart.id ? ` id="${esc(chart.id)}"` : ''} class="chart">`,
    `<text x="${left}" y="18" class="chart-title">${esc(chart.title)}</text>`,
  ];
  for (const [from, to, label] of chart.bands ?? []) {
    parts.push(`<rect x="${px(from).toFixed(1)}" y="${top}" width="${Math.max(0, px(to) - px(from)).toFixed(1)}" height="${plotH}" class="band"><title>${esc(label)}</title></rect>`);
  }
  for (const v of ticks) {
    const y = py(v).toFixed(1);
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${(Number(y) + 4).toFixed(1)}" class="tick" text-anchor="end">${fmtTick(v)}</text>`);
  }
  parts.push(`<text x="12" y="${top + plotH / 2}" class="unit" transform="rotate(-90 12 ${top + plotH / 2})" text-anchor="middle">${esc(chart.unit)}</text>`);
  const xStep = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400].find((s) => xMax / s <= 10) ?? 86400;
  for (let t = 0; t <= xMax + 1e-9; t += xStep) {
    const x = px(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${top + plotH}" y2="${top + plotH + 4}" class="axis"/>`);
    parts.push(`<text x="${x}" y="${top + plotH + 18}" class="tick" text-anchor="middle">${fmtTime(t)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" class="axis"/>`);
  // Legend, top right.
  let lx = width - right;
  const legend: string[] = [];
  for (const s of [...chart.series].reverse()) {
    const w = 26 + s.name.length * 6.6;
    lx -= w;
    legend.push(`<line x1="${lx.toFixed(1)}" x2="${(lx + 18).toFixed(1)}" y1="14" y2="14" stroke="${s.colour}" stroke-width="3"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`
      + `<text x="${(lx + 22).toFixed(1)}" y="18" class="legend">${esc(s.name)}</text>`);
  }
  parts.push(...legend);
  for (const s of chart.series) {
    const segments: string[] = [];
    let current: string[] = [];
    const flush = () => { if (current.length) segments.push(`M${current.join('L')}`); current = []; };
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) { flush(); return; }
      current.push(`${px(chart.x[i]!).toFixed(1)},${py(v).toFixed(1)}`);
    });
    flush();
    if (!segments.length) continue;
    const d = segments.join('');
    if (s.fill && segments.length === 1) {
      const first = s.values.findIndex((v) => v !== null);
      const last = s.values.length - 1 - [...s.values].reverse().findIndex((v) => v !== null);
      parts.push(`<path d="${d}L${px(chart.x[last]!).toFixed(1)},${top + plotH}L${px(chart.x[first]!).toFixed(1)},${top + plotH}Z" fill="${s.colour}" fill-opacity="0.12" stroke="none"/>`);
    }
    parts.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="${s.dashed ? 1.6 : 2}" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''} data-series="${esc(s.name)}"><title>${esc(s.name)}</title></path>`);
  }
  // Markers' labels alternate between two rows so that neighbours do not overprint each other.
  (chart.markers ?? []).forEach((m, i) => {
    const x = px(m.t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + plotH}" stroke="${m.colour}" stroke-width="1.5" stroke-dasharray="3 2"><title>${esc(m.label)}</title></line>`);
    parts.push(`<text x="${(Number(x) + 3).toFixed(1)}" y="${top + 10 + (i % 2) * 11}" class="legend" fill="${m.colour}">${esc(m.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
