// The Prometheus text exposition format (version 0.0.4), parsed into plain samples: shared by everything
// that reads another process's /metrics (the control role's scraper, the load tester's bottleneck
// diagnosis). HELP/TYPE/comment lines are skipped; label values are unescaped; an optional timestamp
// after the value is ignored. Lines that do not parse are skipped rather than failing the whole scrape.

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?\s*$/;
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/g;

function unescapeLabel(v: string): string {
  return v.replace(/\\(n|\\|")/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** A sample value or a bucket bound as the format writes it (+Inf, -Inf and NaN included). */
export function parseValue(raw: string): number {
  if (raw === '+Inf' || raw === 'Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  if (raw === 'NaN') return Number.NaN;
  return Number(raw);
}

export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE_RE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) {
      for (const lm of m[3].matchAll(LABEL_RE)) labels[lm[1]!] = unescapeLabel(lm[2]!);
    }
    const value = parseValue(m[4]!);
    if (Number.isNaN(value) && m[4] !== 'NaN') continue;
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}
