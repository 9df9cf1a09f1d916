// Holdfast's metric-based root-cause ranking. It starts where BARO's robust scorer starts (each metric's
// fault-window readings in units of its baseline median/IQR) and adds what an operator reasons with:
// - direction by metric kind: latency, CPU, memory and errors are bad when they rise, a success rate
//   when it falls, traffic either way; a change in the harmless direction is not evidence;
// - honest scales: heavy-tailed baselines are measured by their 10-90% range as well as the IQR, a
//   metric that never moved gets a floor (relative to its level, or absolute for a 0..1 ratio), a count
//   gets at least Poisson noise, and a success rate at least the binomial resolution of its request count
//   (one failed request in 50 is not the same news as one in 5,000);
// - sustained, not spiky: a metric's score is its second-largest deviation (or its 90th percentile over
//   a long fault window), so one stray reading does not name a culprit;
// - "changed at the fault": the deviation is also measured against the readings just before the fault
//   start, so a series that was already elevated is not mistaken for the cause;
// - traffic normalisation: a service's latency, CPU, network and error counts are divided by its own
//   traffic growth, and each service's traffic by the system-wide growth, so a surge everywhere is not
//   blamed on whoever is busiest;
// - propagation: where a service reports the latency of the calls it makes (client-latency), the part of
//   its latency rise its callees explain is discounted, and client-latency alone counts half;
// - onset: the service whose anomaly starts first is marked, and leads a near-tie with services that
//   only changed two or more readings later.
// Every constant below is a default chosen on principle (units, statistics), not fitted to a data set.
import { classifyMetric, type MetricInfo } from './metric-kind.ts';
import { median, robustSummary } from './robust-stats.ts';
import { resolveInjectTime, type MetricEvidence, type RankOptions, type RankedService, type Ranking } from './ranking.ts';
import { allTimestamps, typicalStep, type MetricSeries, type Telemetry } from './time-series.ts';

export interface RankerSettings {
  /** share of the baseline (at least one reading) that gives "the level just before the fault" */
  localShare: number;
  /** a metric counts as anomalous from this many robust units (its onset) */
  onsetUnits: number;
  /** smallest scale as a share of the baseline level (non-ratio metrics) */
  relativeFloor: number;
  /**
   * smallest scale of a latency, in the data's own unit (0: unknown units). A baseline that is all one
   * value (a latency with the callers' event-loop stalls taken out is often exactly 0) would otherwise
   * have no spread, and any later reading would be infinitely many robust units away from it.
   */
  latencyScaleFloor: number;
  /** smallest scale of a 0..1 ratio when no request count is known */
  ratioFloor: number;
  /** a metric needs at least this share of the baseline readings (and 3) to be judged at all */
  minBaselineShare: number;
  /** a metric's score is its k-th largest deviation: k = this share of the fault-window readings... */
  sustainShare: number;
  /** ...and at least this many readings */
  sustainMin: number;
  /** weight of the second-strongest metric of a service in its score */
  breadth: number;
  /** weight of client-latency (latency of the calls a service makes) as evidence against the service */
  clientLatencyWeight: number;
  /** a service at least (1 - this share) as anomalous as the leader that changed two or more readings
   * earlier is moved ahead of it: the cause changes before its effects */
  onsetTieShare: number;
}

export const DEFAULT_SETTINGS: RankerSettings = {
  localShare: 0.05,
  onsetUnits: 3,
  relativeFloor: 0.02,
  latencyScaleFloor: 0,
  ratioFloor: 0.005,
  minBaselineShare: 0.25,
  sustainShare: 0.1,
  sustainMin: 2,
  breadth: 0,
  clientLatencyWeight: 0.5,
  onsetTieShare: 0.5,
};

interface Prepared {
  s: MetricSeries;
  info: MetricInfo;
  before: number[];
  after: number[];
  afterTimes: number[];
}

function prepare(s: MetricSeries, injectTime: number): Prepared {
  const before: number[] = [];
  const after: number[] = [];
  const afterTimes: number[] = [];
  for (let i = 0; i < s.timestamps.length; i++) {
    if (s.timestamps[i]! < injectTime) before.push(s.values[i]!);
    else { after.push(s.values[i]!); afterTimes.push(s.timestamps[i]!); }
  }
  return { s, info: classifyMetric(s.metric), before, after, afterTimes };
}

/** Non-negative whole numbers only: a count per interval, whose noise is at least Poisson. */
function isCountSeries(values: readonly number[]): boolean {
  let n = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < 0 || !Number.isInteger(v)) return false;
    n++;
  }
  return n >= 3;
}

const COUNT_KINDS = new Set(['workload', 'errors', 'network', 'disk', 'other']);
/** kinds that grow with the traffic a service serves */
const TRAFFIC_BOUND = new Set(['latency', 'client-latency', 'cpu', 'network', 'errors']);

/** Baseline centre and scale (robust units) of a metric. */
function baselineOf(before: readonly number[], info: MetricInfo, set: RankerSettings, counted: boolean): { center: number; scale: number } {
  const r = robustSummary(before);
  let scale = r.iqr > 0 ? r.iqr : r.meanAbsDev > 0 ? 2 * r.meanAbsDev : 0;
  // heavy tails: the 10-90% range over 1.9 equals the IQR for normal data and is wider for spiky data
  scale = Math.max(scale, (r.q90 - r.q10) / 1.9);
  if (info.ratio) {
    // with a known request count the binomial floor (applied per reading) replaces this one
    if (!counted) scale = Math.max(scale, set.ratioFloor);
  } else {
    scale = Math.max(scale, set.relativeFloor * Math.abs(r.median));
    if (info.kind === 'latency' || info.kind === 'client-latency') scale = Math.max(scale, set.latencyScaleFloor);
  }
  if (!info.ratio && COUNT_KINDS.has(info.kind) && isCountSeries(before)) scale = Math.max(scale, 1.349 * Math.sqrt(Math.max(1, r.median)));
  return { center: r.median, scale };
}

interface Scored {
  ev: MetricEvidence;
  /** score used for ranking, after adjustments */
  rankScore: number;
}

interface TrafficContext {
  /** per service: reading time -> traffic growth factor over its baseline (1 = no significant growth) */
  growth: Map<string, Map<number, number>>;
  /** per service with a count-valued workload: reading time -> requests in that interval */
  requests: Map<string, Map<number, number>>;
  /** reading time -> median over services of traffic / baseline traffic */
  system: Map<number, number>;
}

function trafficOf(prepared: Prepared[], set: RankerSettings): TrafficContext {
  const growth = new Map<string, Map<number, number>>();
  const requests = new Map<string, Map<number, number>>();
  const ratios = new Map<number, number[]>();
  for (const p of prepared) {
    if (p.info.kind !== 'workload' || growth.has(p.s.service)) continue;
    const { center, scale } = baselineOf(p.before, p.info, set, false);
    growth.set(p.s.service, new Map(p.afterTimes.map((ts, i) => {
      const v = p.after[i]!;
      return [ts, Number.isFinite(v) && center > 0 && (v - center) / scale >= set.onsetUnits ? v / center : 1];
    })));
    if (isCountSeries(p.before) && isCountSeries(p.after)) {
      requests.set(p.s.service, new Map(p.afterTimes.map((ts, i) => [ts, p.after[i]!])));
    }
    if (center > 0) {
      p.afterTimes.forEach((ts, i) => {
        const v = p.after[i]!;
        if (!Number.isFinite(v)) return;
        let list = ratios.get(ts);
        if (!list) ratios.set(ts, (list = []));
        list.push(v / center);
      });
    }
  }
  return { growth, requests, system: new Map([...ratios].map(([ts, xs]) => [ts, median(xs)])) };
}

function scoreMetric(p: Prepared, traffic: TrafficContext, set: RankerSettings): Scored | undefined {
  const { info } = p;
  const nBefore = p.before.filter(Number.isFinite).length;
  if (!p.after.some(Number.isFinite) || nBefore < Math.max(3, set.minBaselineShare * p.before.length)) return undefined;
  const notes: string[] = [];
  let after = p.after;
  if (TRAFFIC_BOUND.has(info.kind) && !info.ratio) {
    // latency, CPU, network or error counts that grew no faster than the service's own traffic are
    // explained by that traffic
    const own = traffic.growth.get(p.s.service);
    const f = p.afterTimes.map((ts) => own?.get(ts) ?? Math.max(1, traffic.system.get(ts) ?? 1));
    if (f.some((x) => x > 1)) {
      after = after.map((v, i) => v / f[i]!);
      notes.push(`divided by traffic growth (up to ${Math.max(...f).toFixed(1)}x)`);
    }
  } else if (info.kind === 'workload') {
    // a service's traffic relative to everyone's: a system-wide surge is not one service's anomaly
    after = after.map((v, i) => {
      const g = traffic.system.get(p.afterTimes[i]!);
      return g && g > 0 ? v / g : v;
    });
  }
  const counts = info.ratio && (info.kind === 'success' || info.kind === 'errors') ? traffic.requests.get(p.s.service) : undefined;
  const { center, scale } = baselineOf(p.before, info, set, counts !== undefined);
  const finiteBefore = p.before.filter(Number.isFinite);
  const localCenter = median(finiteBefore.slice(-Math.max(1, Math.round(finiteBefore.length * set.localShare))));
  const failure0 = info.kind === 'success' ? 1 - center : center;
  const devs: number[] = [];
  let best = -Infinity;
  let bestAt = -1;
  const zs: { z: number; at: number }[] = [];
  after.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    let sc = scale;
    const n = counts?.get(p.afterTimes[i]!);
    if (counts) {
      // binomial resolution of a rate measured over n requests (a failure rate of 0 counts as 1/n)
      sc = n && n > 0 ? Math.max(scale, Math.sqrt((Math.max(failure0, 1 / n) * (1 - Math.min(failure0, 0.5))) / n)) : Math.max(scale, set.ratioFloor);
    }
    const signed = (c: number) => (info.bad === 'down' ? c - v : v - c) / sc;
    let d = signed(center);
    let local = signed(localCenter);
    if (info.bad === 'both') {
      local = Math.sign(v - center) === Math.sign(v - localCenter) ? Math.abs(local) : 0;
      d = Math.abs(d);
    }
    const z = Math.min(d, local);
    devs.push(z);
    zs.push({ z, at: p.afterTimes[i]! });
    if (z > best) { best = z; bestAt = i; }
  });
  if (bestAt < 0) return undefined;
  // onset: the first anomalous reading that the next reading confirms (a lone crossing is noise)
  const first = zs.findIndex((x, i) => x.z >= set.onsetUnits && (i === zs.length - 1 || zs[i + 1]!.z >= set.onsetUnits));
  const onset = first < 0 ? undefined : zs[first]!.at;
  devs.sort((a, b) => b - a);
  const k = Math.max(set.sustainMin, Math.ceil(set.sustainShare * devs.length));
  const score = Math.max(0, devs[Math.min(devs.length - 1, k - 1)]!);
  const peak = p.after[bestAt]!;
  const ev: MetricEvidence = {
    service: p.s.service, metric: p.s.metric, kind: info.kind,
    direction: peak >= center ? 'up' : 'down', score, baseline: center, peak,
    // a ratio of a 0..1 rate (0.96x of a success rate) says little; its absolute change says it all
    ...(center !== 0 && !info.ratio ? { ratio: peak / center } : {}),
    ...(onset !== undefined ? { onset } : {}),
    ...(notes.length ? { notes } : {}),
  };
  const weight = info.kind === 'client-latency' ? set.clientLatencyWeight : 1;
  return { ev, rankScore: score * weight };
}

export function rankRootCauses(t: Telemetry, opts: RankOptions & { settings?: Partial<RankerSettings> } = {}): Ranking {
  const set: RankerSettings = { ...DEFAULT_SETTINGS, ...opts.settings };
  const inject = resolveInjectTime(t, opts.injectTime);
  const prepared = t.series.map((s) => prepare(s, inject.time));
  const traffic = trafficOf(prepared, set);

  const bySvc = new Map<string, Scored[]>();
  for (const s of t.series) if (!bySvc.has(s.service)) bySvc.set(s.service, []);
  for (const p of prepared) {
    const x = scoreMetric(p, traffic, set);
    if (x) bySvc.get(p.s.service)!.push(x);
  }

  // Propagation: latency a service inherits from the calls it makes is not its own fault.
  for (const list of bySvc.values()) {
    const client = list.filter((x) => x.ev.kind === 'client-latency' && x.ev.ratio !== undefined && x.ev.score >= set.onsetUnits);
    if (!client.length) continue;
    const clientRise = Math.max(...client.map((x) => x.ev.ratio!));
    if (clientRise <= 1) continue;
    for (const x of list) {
      if (x.ev.kind !== 'latency' || x.ev.ratio === undefined || x.ev.ratio <= 1) continue;
      const explained = Math.min(1, Math.log(clientRise) / Math.log(x.ev.ratio));
      x.rankScore *= 1 - explained;
      (x.ev.notes ??= []).push(`its outgoing calls slowed ${clientRise.toFixed(1)}x: ${(explained * 100).toFixed(0)}% inherited`);
    }
  }

  const ranked: RankedService[] = [];
  for (const [service, list] of bySvc) {
    list.sort((a, b) => b.rankScore - a.rankScore);
    const top = list[0]?.rankScore ?? 0;
    const second = list[1]?.rankScore ?? 0;
    const onsets = list.filter((x) => x.rankScore >= set.onsetUnits && x.ev.onset !== undefined).map((x) => x.ev.onset!);
    const r: RankedService = {
      service, score: top + set.breadth * second,
      evidence: list.filter((x) => x.rankScore > 0).slice(0, 5).map((x) => x.ev),
    };
    if (onsets.length) r.onset = Math.min(...onsets);
    ranked.push(r);
  }
  ranked.sort((a, b) => b.score - a.score);
  // Onset: mark who changed first; among near-ties, the earlier one leads.
  const earliest = ranked.filter((r) => r.onset !== undefined).reduce((m, r) => Math.min(m, r.onset!), Infinity);
  for (const r of ranked) if (r.onset === earliest) r.firstToChange = true;
  const lead = ranked[0];
  if (set.onsetTieShare > 0 && lead?.onset !== undefined && ranked.length > 1) {
    const step = typicalStep(allTimestamps(t));
    // two readings apart at least: at coarse resolution everything "starts" in the same reading
    const rival = ranked.find((r, i) => i > 0 && r.score >= (1 - set.onsetTieShare) * lead.score && r.onset !== undefined
      && lead.onset! - r.onset >= 2 * (Number.isFinite(step) ? step : 1));
    if (rival) {
      ranked.splice(ranked.indexOf(rival), 1);
      ranked.unshift(rival);
    }
  }
  const faultClass = faultClassOf(ranked[0]);
  return {
    method: 'holdfast', injectTime: inject.time, injectTimeSource: inject.source, ranked,
    confidence: confidenceOf(ranked, set), ...(faultClass ? { faultClass } : {}),
  };
}

/** How clearly the top service stands out: needs both a strong anomaly and a gap to the runner-up. */
function confidenceOf(ranked: RankedService[], set: RankerSettings): number {
  const s1 = ranked[0]?.score ?? 0;
  const s2 = ranked[1]?.score ?? 0;
  if (!(s1 > 0) || !Number.isFinite(s1)) return 0;
  const strength = Math.min(1, Math.max(0, (s1 - set.onsetUnits) / (4 * set.onsetUnits)));
  const separation = Math.max(0, (s1 - s2) / s1);
  return Number((strength * (0.25 + 0.75 * separation)).toFixed(3));
}

function faultClassOf(top: RankedService | undefined): string | undefined {
  const ev = top?.evidence[0];
  if (!ev) return undefined;
  const errs = top.evidence.some((e) => (e.kind === 'success' || e.kind === 'errors') && e.score >= 3);
  switch (ev.kind) {
    case 'success':
    case 'errors': return 'error';
    case 'latency':
    case 'client-latency': return errs ? 'error' : 'delay';
    case 'workload': return ev.direction === 'up' ? 'overload' : 'traffic-drop';
    case 'cpu': return 'cpu';
    case 'memory': return 'memory';
    case 'disk': return 'disk';
    case 'network': return 'network';
    default: return 'other';
  }
}
