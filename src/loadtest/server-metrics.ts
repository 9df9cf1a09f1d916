// The target's own view of a run: its /metrics scraped every second while the load runs, on the run's
// time axis (seconds since the schedule's start), reduced to the panels a reader of the HTML report needs
// beside the client's charts: CPU per role, each database pool (in use, waiting, size), the payment queue
// (depth and oldest job's age) and the payment breakers. A target without metrics (another site, a shop
// behind a proxy that hides /metrics) leaves the panels empty with the reason said.
import { CounterRates, MetricSnapshot } from './prometheus-text.ts';
import { METRICS as M, PAYMENT_QUEUES, QUEUE_JOB_STATES } from '../telemetry/index.ts';

export interface ServerSeries { name: string; values: (number | null)[] }

export interface ServerMetrics {
  sources: string[];
  /** Whether any scrape answered. */
  available: boolean;
  /** Why a panel may be empty (no answer from the metrics URL, failed scrapes). */
  notes: string[];
  /** Seconds since the run's start, one per scrape that answered. */
  t: number[];
  /** Cores busy per role (the process CPU counter's increase between scrapes). */
  cpu: ServerSeries[];
  /** Per pool "<role>/<pool>": connections in use, clients waiting, and the pool's size. */
  pools: ServerSeries[];
  /** Payment jobs not finished (created, retry, active) and dead letters. */
  queueDepth: ServerSeries[];
  /** Age of the oldest unfinished payment job, seconds. */
  queueOldestAgeSec: ServerSeries[];
  /** Per provider: 0 closed, 1 half-open, 2 open. */
  breakers: ServerSeries[];
}

const role = (labels: Record<string, string>) => labels.service || 'shop';

async function scrape(url: string, timeoutMs: number): Promise<MetricSnapshot | string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'text/plain' } });
    if (!res.ok) return `HTTP ${res.status}`;
    const text = await res.text();
    const snap = MetricSnapshot.fromText(text, performance.now(), url);
    return snap.samples.length ? snap : 'no metrics in the answer';
  } catch (err) {
    return (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
  }
}

/** Series keyed by name, padded with null where a scrape did not have them. */
class SeriesSet {
  readonly #byName = new Map<string, (number | null)[]>();
  #length = 0;
  next(): void { this.#length++; for (const v of this.#byName.values()) v.push(null); }
  set(name: string, value: number): void {
    let v = this.#byName.get(name);
    if (!v) { v = new Array<number | null>(this.#length).fill(null); this.#byName.set(name, v); }
    v[this.#length - 1] = (v[this.#length - 1] ?? 0) + value;
  }
  list(): ServerSeries[] { return [...this.#byName].sort(([a], [b]) => a.localeCompare(b)).map(([name, values]) => ({ name, values })); }
}

/** The panels' series from scrapes taken at `times` (seconds since the run's start). */
export function serverMetricsFrom(sources: string[], scrapes: { t: number; snap: MetricSnapshot }[], notes: string[]): ServerMetrics {
  const cpu = new SeriesSet();
  const pools = new SeriesSet();
  const depth = new SeriesSet();
  const age = new SeriesSet();
  const breakers = new SeriesSet();
  // Each process's CPU against its own last scrape: a role whose scrape failed once (one of several
  // --metrics-url) is not counted its whole CPU time since it started in the next second.
  const cpuRates = new CounterRates(M.processCpuSeconds.name);
  scrapes.forEach(({ snap }) => {
    for (const s of [cpu, pools, depth, age, breakers]) s.next();
    for (const r of cpuRates.next(snap)) cpu.set(role(r.labels), r.perSecond);
    for (const x of snap.all(M.dbPoolConnections.name)) {
      const state = x.labels.state;
      if (state === 'in_use' || state === 'waiting' || state === 'max') pools.set(`${role(x.labels)}/${x.labels.pool ?? '?'} ${state === 'max' ? 'size' : state.replace('_', ' ')}`, x.value);
    }
    for (const x of snap.all(M.paymentQueueJobs.name)) {
      if (x.labels.queue === PAYMENT_QUEUES.charge && (QUEUE_JOB_STATES as readonly string[]).includes(x.labels.state ?? '')) depth.set('unfinished jobs', x.value);
      if (x.labels.queue === PAYMENT_QUEUES.deadLetter && (QUEUE_JOB_STATES as readonly string[]).includes(x.labels.state ?? '')) depth.set('dead letters', x.value);
    }
    for (const x of snap.all(M.paymentQueueOldestJobAge.name)) age.set(`oldest job (${role(x.labels)})`, x.value);
    for (const x of snap.all(M.breakerState.name)) breakers.set(`${x.labels.provider ?? '?'} (${role(x.labels)})`, x.value);
  });
  return {
    sources, available: scrapes.length > 0, notes, t: scrapes.map((s) => s.t),
    cpu: cpu.list(), pools: pools.list(), queueDepth: depth.list(), queueOldestAgeSec: age.list(), breakers: breakers.list(),
  };
}

export interface ServerMetricsSampler { stop(): Promise<ServerMetrics> }

/**
 * Scrapes every URL each `intervalSec` from now until stop(), timing each scrape against `startPerf` (the
 * run's performance.now() origin). Scrapes of several URLs (one per role) are merged into one snapshot.
 */
export function sampleServerMetrics(urls: string[], startPerf: number, intervalSec = 1): ServerMetricsSampler {
  const scrapes: { t: number; snap: MetricSnapshot }[] = [];
  const failures = new Map<string, string>();
  let running = true;
  let wake: () => void = () => {};
  const loop = (async () => {
    while (running) {
      const at = performance.now();
      const got = await Promise.all(urls.map((u) => scrape(u, Math.max(500, intervalSec * 900))));
      const snaps: MetricSnapshot[] = [];
      got.forEach((g, i) => { if (typeof g === 'string') failures.set(urls[i]!, g); else snaps.push(g); });
      if (snaps.length) scrapes.push({ t: (at - startPerf) / 1000, snap: new MetricSnapshot(snaps.flatMap((s) => s.samples), at, urls.join(' ')) });
      if (!running) break;
      await new Promise<void>((resolve) => { const timer = setTimeout(resolve, Math.max(0, intervalSec * 1000 - (performance.now() - at))); wake = () => { clearTimeout(timer); resolve(); }; });
    }
  })();
  return {
    async stop() {
      running = false;
      wake();
      await loop;
      const notes: string[] = [];
      for (const [url, why] of failures) {
        notes.push(scrapes.length ? `some scrapes of ${url} failed (${why}): the panels have gaps` : `no metrics from ${url} (${why}): the target's server-side panels are empty`);
      }
      return serverMetricsFrom(urls, scrapes, notes);
    },
  };
}
