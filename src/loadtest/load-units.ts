// Durations, rates and latencies as people type and read them: "90s", "1m30s", "250ms", "1.5h";
// latencies printed in ms with sensible precision.

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** "10s", "1m30s", "250ms", "2h", or a bare number of seconds. Returns seconds. */
export function parseDuration(raw: string | number, what = 'duration'): number {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw < 0) throw new Error(`${what}: ${raw} is not a duration`);
    return raw;
  }
  const text = raw.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== text.length) throw new Error(`${what}: "${raw}" is not a duration (examples: 30s, 1m30s, 250ms, 2h)`);
  return total;
}

/** Seconds as k6 writes them in stages: "90s", "1.5s" (k6 accepts both). */
export function k6Duration(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** 75 -> "1m15s", 3600 -> "1h", 2.5 -> "2.5s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'n/a';
  if (seconds < 60) return `${Number(seconds.toFixed(seconds < 10 ? 1 : 0))}s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}` || '0s';
}

/** mm:ss (or h:mm:ss) for progress lines. */
export function clock(seconds: number): string {
  const t = Math.max(0, Math.floor(seconds));
  const h = Math.floor(t / 3600);
  const mm = String(Math.floor((t % 3600) / 60)).padStart(2, '0');
  const ss = String(t % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Milliseconds with precision that suits the size: 0.42 ms, 4.21 ms, 42.1 ms, 421 ms, 4,210 ms. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  const digits = ms < 10 ? 2 : ms < 100 ? 1 : 0;
  return `${ms.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ms`;
}

export function formatNumber(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatPercent(ratio: number, digits = 2): string {
  if (!Number.isFinite(ratio)) return 'n/a';
  return `${(ratio * 100).toFixed(digits)}%`;
}

/** A positive integer flag (workers, VUs, request budgets). */
export function parsePositiveInt(raw: string, what: string, min = 1): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${what}: "${raw}" must be an integer ≥ ${min}`);
  return n;
}

/** A rate in iterations per second: "50", "50/s", "3000/m". */
export function parseRate(raw: string, what = '--rate'): number {
  const m = /^(\d+(?:\.\d+)?)(?:\/(s|m|h))?$/.exec(raw.trim());
  if (!m) throw new Error(`${what}: "${raw}" is not a rate (examples: 50, 50/s, 600/m)`);
  const per = m[2] === 'm' ? 60 : m[2] === 'h' ? 3600 : 1;
  const rate = Number(m[1]) / per;
  if (!(rate > 0)) throw new Error(`${what}: the rate must be above 0`);
  return rate;
}
