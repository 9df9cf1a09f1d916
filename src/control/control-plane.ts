// The control role's loop: every tick it scrapes, runs the fast detector on each component's latency and
// error ratio and the SLO burn-rate rules, keeps alerts (firing/resolved), and when an alert fires runs
// root-cause analysis on the window and attaches the finding. Alerts and findings are logged and emitted
// ('alert', 'rca') for the incident and console features to subscribe to.
import { EventEmitter } from 'node:events';
import type { Logger } from '../platform/observability/logger.ts';
import type { ControlSettings } from './control-config.ts';
import { GAP_WINDOW_SECONDS, MetricsCollector, POOLED_WINDOW_SECONDS } from './metrics-collector.ts';
import { changeScore, medianOf, tailExceedance, type ChangeScore, type SignalKind } from './change-detector.ts';
import { evaluateBurn } from './slo-burn.ts';
import { analyseWindow, formatSeconds, type RcaFinding } from './live-rca.ts';
import { SpanStore } from './span-store.ts';
import { withoutPeriods } from './series-window.ts';
import { breakdown, compareBreakdowns } from './trace-breakdown.ts';
import { changesBeforeSignal, changeText, rankingSplit, CHANGE_LOOKBACK_SECONDS, type RecentChange } from './change-context.ts';

/** Spans kept for the analysis: at a few hundred spans a second, the last several minutes. */
const SPAN_CAPACITY = 100_000;

export interface Alert {
  id: string;
  name: string;
  state: 'firing' | 'resolved';
  severity: 'page' | 'ticket';
  service: string;
  since: string;
  resolvedAt: string | null;
  summary: string;
  /** the root-cause finding's summary, once analysed */
  rootCause: string | null;
  rcaId: string | null;
  /** the signal that fired: which series, its baseline and level */
  signal: { subject: string; kind: string; score: number; baseline: number; current: number } | null;
}

export interface ControlEvents {
  alert: [alert: Alert, change: 'firing' | 'resolved'];
  rca: [finding: RcaFinding, alert: Alert];
}

/** The component (alert service) a detection subject belongs to. */
export function serviceOfSubject(subject: string): string | undefined {
  if (subject === 'storefront' || subject.startsWith('route:')) return 'storefront';
  if (subject === 'payments') return 'payments';
  if (subject === 'provider' || subject.startsWith('provider:') || subject === 'psp' || subject.startsWith('psp:')) return 'payments -> provider';
  if (subject === 'database' || subject.startsWith('query:')) return 'database';
  return undefined;
}

interface AlertState {
  alert: Alert;
  /** unix s of the first anomalous reading (baseline ends before it while firing) */
  faultStart: number;
  quietSince: number | null;
  refined: boolean;
  firedAt: number;
}

const MAX_HISTORY = 200;
const DETECTION_SUBJECTS = ['storefront', 'payments', 'provider', 'psp', 'database'];
/** The median over the collector's pooled readings (POOLED_WINDOW_SECONDS): judged only where 5 s readings are too sparse. */
const POOLED_P50 = 'p50-pooled';
/** Where shoppers enter the shop: its request rate is the traffic a surge multiplies. */
const ENTRY_SUBJECT = 'storefront';

export class ControlPlane extends EventEmitter<ControlEvents> {
  readonly settings: ControlSettings;
  readonly collector: MetricsCollector;
  /** spans every role exports to POST /v1/traces */
  readonly spans = new SpanStore(SPAN_CAPACITY);
  private readonly logger: Logger | undefined;
  private readonly active = new Map<string, AlertState>();
  private readonly history: Alert[] = [];
  private readonly findings: RcaFinding[] = [];
  /** resolved detector alerts' spans (unix s): from the first anomalous reading to the resolution */
  private readonly resolvedTrouble: { from: number; to: number }[] = [];
  /** the change log's recent events, fed by the control module (noteChanges) */
  private recentChanges: RecentChange[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private seq = 0;

  constructor(settings: ControlSettings, logger?: Logger) {
    super();
    this.settings = settings;
    this.collector = new MetricsCollector(settings);
    this.logger = logger;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return; // a slow scrape skips a tick rather than piling up
      this.running = this.tick().catch((err) => { this.logger?.warn({ err }, 'control tick failed'); }).finally(() => { this.running = undefined; });
    }, this.settings.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  alerts(state?: 'firing' | 'resolved'): Alert[] {
    const all = [...[...this.active.values()].map((s) => s.alert), ...this.history].sort((a, b) => b.since.localeCompare(a.since));
    return state ? all.filter((a) => a.state === state) : all;
  }

  rcaFindings(): RcaFinding[] { return [...this.findings].reverse(); }

  /** Recent change events (faults set, versions, ...): findings name the latest before a signal began. */
  noteChanges(changes: readonly RecentChange[], nowMs = Date.now()): void {
    const keepFrom = nowMs / 1000 - this.settings.windowSeconds - CHANGE_LOOKBACK_SECONDS;
    const known = new Set(this.recentChanges.map((c) => c.id));
    this.recentChanges = [...this.recentChanges.filter((c) => c.at >= keepFrom), ...changes.filter((c) => !known.has(c.id) && c.at >= keepFrom)];
  }

  /**
   * Each SLO objective's burn now: the highest short-window burn of its rules, and whether its burn-rate
   * alert is firing (the public status page sets components from these).
   */
  sloBurns(nowMs = Date.now()): { journey: string; objective: 'availability' | 'latency'; target: number; shortBurn: number; firing: boolean }[] {
    const w = this.collector.window;
    const now = nowMs / 1000;
    return this.settings.slos.flatMap((slo) => (['availability', 'latency'] as const).map((objective) => {
      const counts = (o: 'availability' | 'latency', seconds: number) => ({
        total: w.sumSince(`slo:${slo.journey}|n`, now - seconds + 1e-6),
        bad: w.sumSince(`slo:${slo.journey}|${o === 'availability' ? 'nerr' : 'nslow'}`, now - seconds + 1e-6),
      });
      const evals = evaluateBurn(slo, this.settings.burnWindows, this.settings.burnWindowScale, counts).filter((e) => e.objective === objective);
      const shortBurn = Math.max(0, ...evals.map((e) => e.shortBurn).filter(Number.isFinite));
      return {
        journey: slo.journey, objective, target: objective === 'availability' ? slo.availability : slo.latency.objective,
        shortBurn, firing: this.active.has(`slo:${slo.journey}:${objective}`),
      };
    }));
  }

  async tick(nowMs = Date.now()): Promise<void> {
    await this.collector.tick(nowMs);
    const now = nowMs / 1000;
    this.detect(now);
  }

  /** Every anomalous subject now, by alert key (for tests and the ops API). */
  private detect(now: number): void {
    const w = this.collector.window;
    const d = this.settings.detector;
    const step = this.settings.intervalMs / 1000;
    const found = new Map<string, { name: string; service: string; subject: string; kind: SignalKind; stat?: string; burn?: string; detail?: string; s: ChangeScore; faultStart: number }>();
    const quiet = new Set<string>();
    // Aggregates only: a route or a query alone sees a few requests per window, where p99 is the single
    // slowest one; per-route and per-query series are evidence for the root-cause ranking instead.
    const entryCurrentRate = w.last(`${ENTRY_SUBJECT}|rate`, d.currentReadings);
    // the entry traffic's baseline depends only on where the baseline ends (the same for every signal
    // without an alert), so it is read once per distinct end
    const entryBaselines = new Map<number, number[]>();
    const entryBaselineRate = (baselineEnd: number) => {
      let rates = entryBaselines.get(baselineEnd);
      if (!rates) {
        const entry = w.slice(`${ENTRY_SUBJECT}|rate`, baselineEnd - d.baselineSeconds);
        rates = entry.values.filter((_, i) => entry.timestamps[i]! < baselineEnd);
        entryBaselines.set(baselineEnd, rates);
      }
      return rates;
    };
    // an earlier incident's readings are not a baseline (see earlierTrouble)
    const trouble = this.earlierTrouble(now - d.guardSeconds, POOLED_WINDOW_SECONDS);
    const inEarlierTrouble = (t: number) => trouble.some((p) => t >= p.from && t <= p.to);
    const baselineOf = (s: { timestamps: number[]; values: number[] }, baselineEnd: number) =>
      s.values.filter((_, i) => s.timestamps[i]! < baselineEnd && !inEarlierTrouble(s.timestamps[i]!));
    for (const subject of DETECTION_SUBJECTS) {
      const service = serviceOfSubject(subject);
      if (!service) continue;
      // too few events in a 5 s reading for a median: the pooled median and the tail test stand in
      const sparse = !(medianOf(w.last(`${subject}|rate`, d.currentReadings)) * this.settings.rateWindowSeconds * 0.5 >= d.minTailEvents);
      // p50 as well as p99: at a few requests per window p99 is the slowest one, and a degradation of
      // every call shows first and clearest in the median
      for (const [kind, stat] of [['latency', 'p99'], ['latency', 'p50'], ['latency', POOLED_P50], ['errors', 'err']] as const) {
        const key = `${kind}:${service}`;
        const state = this.active.get(key);
        const baselineEnd = state ? state.faultStart - step : now - d.guardSeconds;
        const from = baselineEnd - d.baselineSeconds;
        const pooled = stat === POOLED_P50;
        const rateSeries = pooled ? `${subject}|rate-pooled` : `${subject}|rate`;
        const currentRate = w.last(rateSeries, d.currentReadings);
        // The pooled median stands in for the 5 s one only where that holds too few events to be judged
        // (low traffic); with traffic enough, the 5 s readings are the faster and the only judge.
        if (pooled && !sparse) continue;
        const series = `${subject}|${stat}`;
        const all = w.slice(series, from);
        const rate = w.slice(rateSeries, from);
        const baseline = baselineOf(all, baselineEnd);
        const baselineRate = rate.values.filter((_, i) => rate.timestamps[i]! < baselineEnd);
        const current = w.last(series, d.currentReadings);
        const s = changeScore({
          kind, baseline, current, baselineRate, currentRate, readingSeconds: pooled ? POOLED_WINDOW_SECONDS : this.settings.rateWindowSeconds,
          ...(stat === 'err' ? {} : { quantile: stat === 'p99' ? 0.99 : 0.5 }),
          entryBaselineRate: entryBaselineRate(baselineEnd), entryCurrentRate,
        }, d);
        if (s.anomalous) {
          const prev = found.get(key);
          if (!prev || s.score > prev.s.score) {
            // a pooled reading lags the change by up to its span: the onset is read from the 5 s medians
            const onsetSeries = pooled ? w.slice(`${subject}|p50`, from) : all;
            found.set(key, {
              name: kind === 'latency' ? 'LatencyDegradation' : 'ErrorRatioDegradation', service, subject, kind, stat: pooled ? `p50 over ${POOLED_WINDOW_SECONDS} s` : stat, s,
              faultStart: state?.faultStart ?? onsetOf(onsetSeries.timestamps, onsetSeries.values, s.baseline, s.current, baselineEnd),
            });
          }
        } else if (s.judged && s.score < d.resolveUnits) {
          quiet.add(key);
        } else if (!s.judged) {
          quiet.add(key);
        }
        if (s.anomalous) quiet.delete(key);
      }
      if (sparse) {
        // A large degradation shows sooner as most of a short window's calls lying far above the baseline
        // than as a 30 s median crossing it (change-detector.ts tailExceedance): shortest window first.
        const key = `latency:${service}`;
        const state = this.active.get(key);
        const baselineEnd = state ? state.faultStart - step : now - d.guardSeconds;
        const from = baselineEnd - d.baselineSeconds;
        const rate = w.slice(`${subject}|rate-pooled`, from);
        const traffic = {
          baselineRate: rate.values.filter((_, i) => rate.timestamps[i]! < baselineEnd), currentRate: w.last(`${subject}|rate-pooled`, d.currentReadings),
          entryBaselineRate: entryBaselineRate(baselineEnd), entryCurrentRate,
        };
        const baselineMedians = baselineOf(w.slice(`${subject}|${POOLED_P50}`, from), baselineEnd);
        const baselineP99s = baselineOf(w.slice(`${subject}|p99`, from), baselineEnd);
        for (const seconds of d.tailWindowsSeconds) {
          const buckets = this.collector.windowBuckets(subject, seconds);
          if (!buckets) continue;
          const t = tailExceedance({ baselineMedians, baselineP99s, buckets, ...traffic }, d);
          if (!t.anomalous) continue;
          const prev = found.get(key);
          if (!prev || t.score > prev.s.score) {
            const onsetSeries = w.slice(`${subject}|p50`, from);
            found.set(key, {
              name: 'LatencyDegradation', service, subject, kind: 'latency', stat: `p50 over ${seconds} s`, s: t,
              detail: `${t.above} of ${t.calls} calls above ${formatSeconds(t.bound)}`,
              faultStart: state?.faultStart ?? onsetOf(onsetSeries.timestamps, onsetSeries.values, t.baseline, t.current, baselineEnd),
            });
          }
          break;
        }
        // Its silence adds nothing to `quiet`: at this traffic the 5 s readings are not judged, which counts
        // as quiet already, so an alert resolves once neither this test nor the pooled median has fired for
        // resolveAfterSeconds.
      }
    }
    // SLO burn rates
    for (const slo of this.settings.slos) {
      const counts = (objective: 'availability' | 'latency', seconds: number) => {
        const from = now - seconds + 1e-6;
        const total = w.sumSince(`slo:${slo.journey}|n`, from);
        const bad = w.sumSince(`slo:${slo.journey}|${objective === 'availability' ? 'nerr' : 'nslow'}`, from);
        return { total, bad };
      };
      for (const objective of ['availability', 'latency'] as const) {
        const evals = evaluateBurn(slo, this.settings.burnWindows, this.settings.burnWindowScale, counts).filter((e) => e.objective === objective);
        const firing = evals.find((e) => e.firing);
        const key = `slo:${slo.journey}:${objective}`;
        if (firing) {
          const target = objective === 'availability' ? slo.availability : slo.latency.objective;
          const what = objective === 'availability' ? `availability objective ${(target * 100).toFixed(2)}%` : `${(target * 100).toFixed(1)}% under ${formatSeconds(slo.latency.thresholdSeconds)}`;
          found.set(key, {
            name: `SLOBurnRate`, service: slo.journey === 'payment' ? 'payments' : 'storefront', subject: `${slo.journey} journey (${what})`,
            kind: objective === 'availability' ? 'errors' : 'latency',
            s: { score: firing.shortBurn, baseline: firing.window.burnRate, current: firing.longBurn, ratio: NaN, trafficGrowth: 1, anomalous: true, judged: true },
            faultStart: this.active.get(key)?.faultStart ?? firstBadTick(w.slice(`slo:${slo.journey}|${objective === 'availability' ? 'nerr' : 'nslow'}`, now - firing.shortSeconds), now),
          });
          found.get(key)!.burn = `${slo.journey} ${objective} SLO burning ${firing.longBurn.toFixed(1)}x over ${firing.longSeconds} s and ${firing.shortBurn.toFixed(1)}x over ${firing.shortSeconds} s (threshold ${firing.window.burnRate}x)`;
        } else {
          quiet.add(key);
        }
      }
    }

    for (const [key, f] of found) {
      const state = this.active.get(key);
      const summary = f.burn ?? (f.kind === 'latency'
        ? `${f.subject} ${f.stat ?? 'p99'} ${formatSeconds(f.s.current)}, ${f.s.ratio.toFixed(1)}x its baseline ${formatSeconds(f.s.baseline)}${f.s.trafficGrowth > 1.2 ? ` (traffic ${f.s.trafficGrowth.toFixed(1)}x)` : ''}, ${f.detail ?? `${f.s.score.toFixed(0)} robust units`}`
        : `${f.subject} error ratio ${(f.s.current * 100).toFixed(1)}% against a baseline of ${(f.s.baseline * 100).toFixed(1)}%, ${f.s.score.toFixed(0)} robust units`);
      const signal = { subject: f.subject, kind: f.kind, score: Number(f.s.score.toFixed(2)), baseline: f.s.baseline, current: f.s.current };
      if (state) {
        state.quietSince = null;
        state.alert.summary = summary;
        state.alert.signal = signal;
        continue;
      }
      const alert: Alert = {
        id: `alert-${Date.now().toString(36)}-${++this.seq}`,
        name: key.startsWith('slo:') ? `SLOBurnRate:${key.slice(4)}` : f.name, state: 'firing', severity: 'page', service: f.service,
        since: new Date(now * 1000).toISOString(), resolvedAt: null, summary, rootCause: null, rcaId: null, signal,
      };
      const st: AlertState = { alert, faultStart: f.faultStart, quietSince: null, refined: false, firedAt: now };
      this.active.set(key, st);
      this.logger?.warn({ alert: { name: alert.name, service: alert.service, summary } }, 'alert firing');
      this.emit('alert', alert, 'firing');
      this.analyse(st, now);
    }
    for (const [key, st] of this.active) {
      if (found.has(key)) {
        // refine the finding once the fault window holds more readings
        if (!st.refined && now - st.firedAt >= 5) { st.refined = true; this.analyse(st, now); }
        continue;
      }
      if (!quiet.has(key)) continue;
      st.quietSince ??= now;
      if (now - st.quietSince < this.settings.detector.resolveAfterSeconds) continue;
      // a burn-rate alert's long windows keep it firing for minutes after the trouble: only the
      // detector's alerts (resolved 15 s after their signal calmed) bound a period of trouble
      if (!key.startsWith('slo:')) this.resolvedTrouble.push({ from: st.faultStart, to: now });
      if (this.resolvedTrouble.length > MAX_HISTORY) this.resolvedTrouble.shift();
      st.alert.state = 'resolved';
      st.alert.resolvedAt = new Date(now * 1000).toISOString();
      this.active.delete(key);
      this.history.unshift(st.alert);
      if (this.history.length > MAX_HISTORY) this.history.pop();
      this.logger?.info({ alert: { name: st.alert.name, service: st.alert.service } }, 'alert resolved');
      this.emit('alert', st.alert, 'resolved');
    }
  }

  /**
   * Periods before `signalStart` that are not a baseline: earlier detector alerts from their first anomalous
   * reading to their resolution, and faults from being set to being cleared, run on by `tail` seconds, the
   * longest span the readings judged summarise (a reading just after a fault still holds its slow calls:
   * 30 s for the pooled medians, 10 s for the ranking's series, the network gap's). Without this, an
   * incident minutes after another compares against the first one's readings, and at low traffic those
   * can make up a large share of the baseline.
   */
  private earlierTrouble(signalStart: number, tail: number): { from: number; to: number }[] {
    // an alert resolves only after its signal has been calm for a while: its span needs no tail
    const periods = [...this.resolvedTrouble];
    for (const set of this.recentChanges) {
      if (set.kind !== 'fault.set') continue;
      const cleared = this.recentChanges.find((c) => c.kind === 'fault.cleared' && c.subject === set.subject && c.at >= set.at);
      if (cleared) periods.push({ from: set.at, to: cleared.at + tail });
    }
    return periods.filter((p) => p.to < signalStart);
  }

  private analyse(st: AlertState, now: number): void {
    try {
      // the same fault raises several alerts within seconds: they share a fresh finding
      const recent = this.findings[this.findings.length - 1];
      const from = st.faultStart - this.settings.detector.baselineSeconds;
      // what changed just before the first signal: at low traffic the metrics alone may not say
      const changes = changesBeforeSignal(this.recentChanges, st.faultStart);
      const split = rankingSplit(st.faultStart, changes, POOLED_WINDOW_SECONDS);
      const finding = recent && !st.refined && now - Date.parse(recent.createdAt) / 1000 < 3 && Math.abs(Date.parse(recent.faultStart) / 1000 - split) < 10
        ? recent
        : analyseWindow(withoutPeriods(this.collector.window, this.earlierTrouble(split, Math.max(this.settings.rateWindowSeconds, GAP_WINDOW_SECONDS))), st.alert.id, split, split - this.settings.detector.baselineSeconds,
          { quantileSeconds: this.settings.rateWindowSeconds, gapSeconds: GAP_WINDOW_SECONDS }, changes);
      if (finding !== recent) {
        // the traces' view, when roles export spans here: whose own time per trace grew
        const traces = compareBreakdowns(breakdown(this.spans.between(from, st.faultStart)), breakdown(this.spans.between(st.faultStart, now + 1)));
        if (traces) {
          finding.traces = traces;
          finding.summary += `; ${traces.text}`;
        }
        if (changes.length) {
          finding.changes = changes;
          finding.summary += `; ${changeText(changes[0]!)}`;
        }
        this.findings.push(finding);
        if (this.findings.length > 50) this.findings.shift();
        this.logger?.warn({ rca: { id: finding.id, summary: finding.summary } }, 'root-cause finding');
      }
      st.alert.rootCause = finding.summary;
      st.alert.rcaId = finding.id;
      this.emit('rca', finding, st.alert);
    } catch (err) {
      this.logger?.error({ err }, 'root-cause analysis failed');
    }
  }
}

/** The first reading with a bad event in the slice (the short window of a burn-rate alert). */
function firstBadTick(s: { timestamps: number[]; values: number[] }, fallback: number): number {
  const i = s.values.findIndex((v) => v > 0);
  return i >= 0 ? s.timestamps[i]! : fallback;
}

/** The first reading of the run of elevated readings that ends now (half way from baseline to current). */
export function onsetOf(timestamps: readonly number[], values: readonly number[], baseline: number, current: number, notBefore: number): number {
  const bar = baseline + (current - baseline) / 2;
  let start = timestamps[timestamps.length - 1] ?? notBefore;
  for (let i = timestamps.length - 1; i >= 0; i--) {
    const t = timestamps[i]!;
    const v = values[i]!;
    if (t < notBefore - 1e-6) break;
    if (Number.isFinite(v) && v < bar) break;
    start = t;
  }
  return start;
}
