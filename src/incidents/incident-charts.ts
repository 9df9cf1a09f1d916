// Line charts of an incident's key signals over wall-clock time, as standalone SVG: the incident's window
// shaded, and change events (a fault set, a deploy, a scaling decision) and the incident's own steps
// marked by numbered vertical lines that a legend beside the chart explains. Every style is an attribute,
// not a class, because a postmortem's charts are also separate .svg files a Markdown draft links to, with
// no stylesheet around them. (src/loadtest/svg-charts.ts draws the load test's charts with classes its
// report styles, on an axis of seconds since the start, and has no markers; see decision 0020.)

export interface ChartSeries {
  name: string;
  colour: string;
  /** [ms since the epoch, value]; null is a gap (no reading), never drawn as zero */
  points: readonly (readonly [number, number | null])[];
  dashed?: boolean;
}

export interface ChartMarker {
  at: number;
  /** shown in the legend beside the chart, and as the line's tooltip */
  label: string;
  kind: 'change' | 'incident';
}

export interface IncidentChart {
  title: string;
  unit: string;
  from: number;
  to: number;
  series: readonly ChartSeries[];
  markers: readonly ChartMarker[];
  /** the incident's window, shaded */
  window?: { from: number; to: number } | undefined;
}

/** The colours of the charts' series, in order (distinguishable, and dark enough on white). */
export const SERIES_COLOURS = ['#1f5f50', '#b3261e', '#2f5d9a', '#9a5b00', '#6b3fa0'];

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"';
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The smallest of 1, 2, 2.5, 5 x 10^n at or above v. */
function niceStep(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v - 1e-12) return m * p;
  return 10 * p;
}

function tickLabel(v: number): string {
  if (Math.abs(v) >= 1000) return `${Number((v / 1000).toFixed(1))}k`;
  return String(Number(v.toPrecision(3)));
}

const TIME_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];

/** Marker numbers as the legend lists them: 1, 2, ... in time order. */
export function numberedMarkers(markers: readonly ChartMarker[]): (ChartMarker & { n: number })[] {
  return [...markers].sort((a, b) => a.at - b.at).map((m, i) => ({ ...m, n: i + 1 }));
}

export function incidentChartSvg(chart: IncidentChart, width = 900, height = 280): string {
  const left = 60; const right = 16; const top = 44; const bottom = 36;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const span = Math.max(1, chart.to - chart.from);
  const px = (t: number) => left + ((Math.min(Math.max(t, chart.from), chart.to) - chart.from) / span) * plotW;
  const values = chart.series.flatMap((s) => s.points.map((p) => p[1]).filter((v): v is number => v !== null && Number.isFinite(v)));
  const step = niceStep(Math.max(...values, 0) * 1.1 / 5 || 0.2);
  const yMax = Math.max(step, Math.ceil((Math.max(...values, 0) * 1.05) / step) * step);
  const py = (v: number) => top + plotH - (Math.max(0, Math.min(v, yMax)) / yMax) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(chart.title)}">`,
    `<title>${esc(chart.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="18" ${FONT} font-size="14" font-weight="600" fill="#1c2826">${esc(chart.title)}</text>`,
  ];
  if (chart.window) {
    const x1 = px(chart.window.from); const x2 = px(chart.window.to);
    out.push(`<rect x="${x1.toFixed(1)}" y="${top}" width="${Math.max(1, x2 - x1).toFixed(1)}" height="${plotH}" fill="#b3261e" fill-opacity="0.07"><title>incident window</title></rect>`);
  }
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    const y = py(v).toFixed(1);
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#dedbd2" stroke-width="1"/>`);
    out.push(`<text x="${left - 6}" y="${(Number(y) + 4).toFixed(1)}" ${FONT} font-size="11" fill="#5b6764" text-anchor="end">${tickLabel(v)}</text>`);
  }
  out.push(`<text x="14" y="${top + plotH / 2}" ${FONT} font-size="11" fill="#5b6764" text-anchor="middle" transform="rotate(-90 14 ${top + plotH / 2})">${esc(chart.unit)}</text>`);
  const stepS = TIME_STEPS_S.find((s) => span / 1000 / s <= 8) ?? 86_400;
  for (let t = Math.ceil(chart.from / (stepS * 1000)) * stepS * 1000; t <= chart.to; t += stepS * 1000) {
    const x = px(t).toFixed(1);
    const label = new Date(t).toISOString().slice(11, stepS < 60 ? 19 : 16);
    out.push(`<line x1="${x}" x2="${x}" y1="${top + plotH}" y2="${top + plotH + 4}" stroke="#5b6764"/>`);
    out.push(`<text x="${x}" y="${top + plotH + 17}" ${FONT} font-size="11" fill="#5b6764" text-anchor="middle">${label}</text>`);
  }
  out.push(`<text x="${left + plotW}" y="${height - 4}" ${FONT} font-size="10" fill="#5b6764" text-anchor="end">UTC</text>`);
  out.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#5b6764"/>`);
  for (const s of chart.series) {
    let d = '';
    let pen = false;
    for (const [t, v] of s.points) {
      if (v === null || !Number.isFinite(v) || t < chart.from || t > chart.to) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${px(t).toFixed(1)},${py(v).toFixed(1)}`;
      pen = true;
    }
    if (d) out.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${esc(s.name)}</title></path>`);
  }
  // Markers closer than a badge's width step their badges down, so every number stays readable.
  let lastX = -Infinity;
  let stack = 0;
  for (const m of numberedMarkers(chart.markers)) {
    if (m.at < chart.from || m.at > chart.to) continue;
    const xn = px(m.at);
    stack = xn - lastX < 18 ? stack + 1 : 0;
    lastX = xn;
    const x = xn.toFixed(1);
    const cy = top - 12 + stack * 18;
    const colour = m.kind === 'change' ? '#6b3fa0' : '#1c2826';
    out.push(`<g><title>${m.n}: ${esc(m.label)}</title>`
      + `<line x1="${x}" x2="${x}" y1="${top - 10}" y2="${top + plotH}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="4 3"/>`
      + `<circle cx="${x}" cy="${cy}" r="8" fill="${colour}"/>`
      + `<text x="${x}" y="${cy + 3.5}" ${FONT} font-size="10" font-weight="700" fill="#ffffff" text-anchor="middle">${m.n}</text></g>`);
  }
  // Legend of the series, top right.
  let lx = width - right;
  for (const s of [...chart.series].reverse()) {
    lx -= 30 + s.name.length * 6.4;
    out.push(`<line x1="${lx.toFixed(1)}" x2="${(lx + 18).toFixed(1)}" y1="14" y2="14" stroke="${s.colour}" stroke-width="3"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`
      + `<text x="${(lx + 22).toFixed(1)}" y="18" ${FONT} font-size="11" fill="#1c2826">${esc(s.name)}</text>`);
  }
  out.push('</svg>');
  return out.join('');
}
