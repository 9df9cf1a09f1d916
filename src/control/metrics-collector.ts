// Scrapes every role's /metrics (and this process' own registry) once a tick, turns cumulative counters
// and histogram buckets into per-component readings (rate, error ratio, p50/p99 from bucket deltas, mean,
// per-tick counts for SLOs) and appends them to the bounded window.
import { registry, PROCESS_INSTANCE_HEADER, PROCESS_STARTED_AT_HEADER } from '../platform/observability/metrics.ts';
import { parsePrometheusText } from '../platform/observability/prometheus-text.ts';
import { addTotals, cloneTotals, deltaTotals, groupSamples, type GroupTotals } from './signal-groups.ts';
import { interpolatedQuantile } from '../platform/observability/histogram-quantile.ts';
import { SeriesWindow } from './series-window.ts';
import type { ControlSettings } from './control-config.ts';

export interface ScrapeStatus { target: string; ok: boolean; error?: string; at: number }

/** Seconds over which the network gap (client-measured minus server-reported call time) is averaged. */
export const GAP_WINDOW_SECONDS = 10;
/** A process not seen for this long has stopped (or the kernel never picks it): its totals are dropped. */
const FORGET_PROCESS_AFTER_MS = 10 * 60_000;

/**
 * Seconds the pooled readings (`<component>|p50-pooled`, `<component>|rate-pooled`) cover. At demo
 * traffic (0.3 to 0.4 checkouts/s) a 5 s reading holds one or two provider calls, too few for a median;
 * 30 s holds 9 to 12, above the six the detector judges a median on (three on each side of it) even when
 * arrivals bunch. The pooled median crosses half way about 15 s after a change, so it is the judge of a
 * modest change; a large one (calls many times the baseline's slowest) is caught sooner, 6 to 10 s at
 * these rates, by the tail-exceedance test over 10 or 15 s (change-detector.ts tailExceedance).
 */
export const POOLED_WINDOW_SECONDS = 30;

/** The component aggregates (not per-route or per-query series) that get pooled readings. */
const POOLED_KEYS = new Set(['storefront', 'payments', 'provider', 'psp', 'database']);

export class MetricsCollector {
  readonly window: SeriesWindow;
  private readonly settings: ControlSettings;
  /**
   * Each process's last totals, by target and the process that answered: one target can be answered by
   * several processes in turn (storefront replicas sharing a port), each with counters of its own.
   */
  private readonly lastByProcess = new Map<string, { totals: Map<string, GroupTotals>; seenAt: number }>();
  /** When each target was last scraped successfully. */
  private readonly lastScrapeAt = new Map<string, number>();
  private readonly cumulative = new Map<string, GroupTotals>();
  /** recent cumulative snapshots (for windowed deltas), newest last */
  private readonly recent: { time: number; totals: Map<string, GroupTotals> }[] = [];
  readonly status = new Map<string, ScrapeStatus>();

  constructor(settings: ControlSettings) {
    this.settings = settings;
    this.window = new SeriesWindow(Math.ceil((settings.windowSeconds * 1000) / settings.intervalMs));
  }

  private async scrapeText(target: string): Promise<{ text: string; instance?: string; startedAt?: number }> {
    if (target === 'self') return { text: await registry.metrics() };
    const res = await fetch(target, { signal: AbortSignal.timeout(Math.max(500, this.settings.intervalMs * 0.8)) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const startedAt = Number(res.headers.get(PROCESS_STARTED_AT_HEADER));
    return { text: await res.text(), instance: res.headers.get(PROCESS_INSTANCE_HEADER) ?? undefined, startedAt: Number.isFinite(startedAt) && startedAt > 0 ? startedAt : undefined };
  }

  /** The oldest kept snapshot at most `seconds` before the latest (the oldest kept when none is that recent). */
  private snapshotAgo(seconds: number): { time: number; totals: Map<string, GroupTotals> } {
    const time = this.recent[this.recent.length - 1]!.time;
    for (const snap of this.recent) if (snap.time >= time - seconds - 1e-6) return snap;
    return this.recent[0]!;
  }

  /**
   * A component's calls over the last `seconds` up to the latest scrape, as cumulative histogram buckets
   * sorted by bound (the tail-exceedance test's window); undefined before two scrapes span any of it.
   */
  windowBuckets(key: string, seconds: number): [number, number][] | undefined {
    const last = this.recent[this.recent.length - 1];
    if (!last) return undefined;
    const start = this.snapshotAgo(seconds);
    const now = last.totals.get(key);
    if (start === last || !now) return undefined;
    return [...deltaTotals(start.totals, new Map([[key, now]])).get(key)!.buckets].sort((a, b) => a[0] - b[0]);
  }

  /** One scrape of every target; returns the readings appended (for tests and the ops API). */
  async tick(nowMs = Date.now()): Promise<Map<string, number>> {
    const targets = [...(this.settings.scrapeSelf ? ['self'] : []), ...this.settings.scrapeTargets];
    const texts = await Promise.all(targets.map(async (t) => {
      try {
        const scraped = await this.scrapeText(t);
        this.status.set(t, { target: t, ok: true, at: nowMs });
        return { t, ...scraped };
      } catch (err) {
        this.status.set(t, { target: t, ok: false, error: (err as Error).message, at: nowMs });
        return { t, text: undefined };
      }
    }));
    const gauges = new Map<string, number>();
    for (const scraped of texts) {
      const { t, text } = scraped;
      if (text === undefined) continue;
      const totals = groupSamples(parsePrometheusText(text), this.settings.slos);
      const key = 'instance' in scraped && scraped.instance ? `${t} ${scraped.instance}` : t;
      const before = this.lastByProcess.get(key)?.totals;
      const previousScrape = this.lastScrapeAt.get(t);
      // A process this target had not shown yet, though it ran before the target's previous scrape (another
      // replica behind the same port answered until now): what it counted then was never placed in time,
      // and counting it now would add its whole history to this tick. It starts the count from here.
      // A process started since (a restart) counts from zero.
      const joining = !before && previousScrape !== undefined && 'startedAt' in scraped && scraped.startedAt !== undefined && scraped.startedAt <= previousScrape;
      const delta = joining ? new Map([...totals].filter(([, g]) => g.gauge !== undefined)) : deltaTotals(before, totals);
      this.lastByProcess.set(key, { totals, seenAt: nowMs });
      this.lastScrapeAt.set(t, nowMs);
      for (const [key, d] of delta) {
        if (d.gauge === undefined) continue;
        // several processes: queue gauges are the same table seen twice (max), the rest add up
        const max = key.startsWith('gauge:queue') || key.startsWith('gauge:event-loop') || key.startsWith('gauge:breaker');
        gauges.set(key, gauges.has(key) ? (max ? Math.max(gauges.get(key)!, d.gauge) : gauges.get(key)! + d.gauge) : d.gauge);
        delta.delete(key);
      }
      addTotals(this.cumulative, delta);
    }
    for (const [key, last] of this.lastByProcess) if (nowMs - last.seenAt > FORGET_PROCESS_AFTER_MS) this.lastByProcess.delete(key);
    const time = nowMs / 1000;
    this.recent.push({ time, totals: cloneTotals(this.cumulative) });
    const keep = Math.max(this.settings.rateWindowSeconds, GAP_WINDOW_SECONDS, POOLED_WINDOW_SECONDS, ...this.settings.detector.tailWindowsSeconds) * 1000 / this.settings.intervalMs + 2;
    while (this.recent.length > keep) this.recent.shift();

    const readings = new Map<string, number>(gauges);
    const prev = this.recent.length >= 2 ? this.recent[this.recent.length - 2]! : undefined;
    const windowStart = this.snapshotAgo(this.settings.rateWindowSeconds);
    const dt = Math.max(1e-3, time - windowStart.time);
    const win = windowStart === this.recent[this.recent.length - 1] ? undefined : deltaTotals(windowStart.totals, this.cumulative);
    const step = prev ? deltaTotals(prev.totals, this.cumulative) : undefined;
    for (const [key, d] of win ?? []) {
      if (key.startsWith('cpu:')) { readings.set(`${key}|rate`, d.count / dt); continue; }
      readings.set(`${key}|rate`, d.count / dt);
      if (d.count > 0) {
        const buckets = [...d.buckets].sort((a, b) => a[0] - b[0]);
        readings.set(`${key}|err`, d.errors / d.count);
        readings.set(`${key}|p50`, interpolatedQuantile(buckets, 0.5));
        readings.set(`${key}|p99`, interpolatedQuantile(buckets, 0.99));
        readings.set(`${key}|mean`, d.sum / d.count);
      }
    }
    // the same over a longer span, for components too quiet for a median of 5 s (see POOLED_WINDOW_SECONDS)
    const pooledStart = this.snapshotAgo(POOLED_WINDOW_SECONDS);
    if (pooledStart !== this.recent[this.recent.length - 1]) {
      const pdt = Math.max(1e-3, time - pooledStart.time);
      for (const [key, d] of deltaTotals(pooledStart.totals, this.cumulative)) {
        if (!POOLED_KEYS.has(key)) continue;
        readings.set(`${key}|rate-pooled`, d.count / pdt);
        if (d.count > 0) readings.set(`${key}|p50-pooled`, interpolatedQuantile([...d.buckets].sort((a, b) => a[0] - b[0]), 0.5));
      }
    }
    for (const [key, d] of step ?? []) {
      if (key.startsWith('cpu:')) continue;
      readings.set(`${key}|n`, d.count);
      readings.set(`${key}|nerr`, d.errors);
      if (key.startsWith('slo:')) {
        const slo = this.settings.slos.find((s) => `slo:${s.journey}` === key);
        if (slo) readings.set(`${key}|nslow`, Math.max(0, d.count - countAtOrBelow(d.buckets, slo.latency.thresholdSeconds)));
      }
    }
    // The network's share of a provider call: what payments measured minus what the provider reports it
    // spent, over the same calls (only when both saw the same number of answered calls, so that a call
    // straddling the window edge is not counted on one side only).
    const gapStart = this.snapshotAgo(GAP_WINDOW_SECONDS);
    if (gapStart !== this.recent[this.recent.length - 1]) {
      const g = deltaTotals(gapStart.totals, this.cumulative);
      const client = g.get('provider-answered');
      const server = g.get('psp-answered');
      if (client && server && client.count > 0 && server.count > 0 && Math.abs(client.count - server.count) <= Math.max(1, 0.05 * client.count)) {
        readings.set('network|gap', client.sum / client.count - server.sum / server.count);
        readings.set('network|client-mean', client.sum / client.count);
        readings.set('network|server-mean', server.sum / server.count);
      }
    }
    this.window.push(time, readings);
    return readings;
  }
}

/** Events at or under `threshold` seconds: the count of the largest bucket bound not above it. */
export function countAtOrBelow(buckets: ReadonlyMap<number, number>, threshold: number): number {
  let best = -Infinity;
  let n = 0;
  for (const [le, c] of buckets) if (le <= threshold * (1 + 1e-9) && le > best) { best = le; n = c; }
  return n;
}
