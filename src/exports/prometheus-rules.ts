// Prometheus recording and alerting rules equivalent to the control role's built-in SLO alerts, for
// operators who run their own Prometheus and Alertmanager. Same journeys, objectives, windows and burn
// rates (src/control: DEFAULT_SLOS, DEFAULT_BURN_WINDOWS), same events: an HTTP request answered 5xx
// or a payment job that must be retried is bad; a request slower than the latency threshold is slow.
//
// Multiwindow, multi-burn-rate (Google SRE workbook, "Alerting on SLOs"): one recording rule per
// journey, objective and window gives the bad-event ratio; an alert fires when both the long and the
// short window burn the error budget faster than the policy's rate.
import { DEFAULT_SLOS, DEFAULT_BURN_WINDOWS, type SloDefinition, type BurnWindow } from '../control/index.ts';
import { METRICS, NOT_SHOPPER_ROUTE_PREFIXES } from '../telemetry/index.ts';

export const HTTP_HISTOGRAM = METRICS.httpRequestDuration.name;
export const JOB_HISTOGRAM = METRICS.paymentJobDuration.name;
export const BAD_RATIO_RECORD = 'journey:holdfast_slo_bad_ratio';
export const EVENTS_RECORD = 'journey:holdfast_slo_events';
/** Routes that are not shopper journeys (the control role ignores them too). */

export interface PrometheusExportOptions {
  slos?: readonly SloDefinition[];
  burnWindows?: readonly BurnWindow[];
  /** Multiplies the workbook's windows (1 h, 5 m, 6 h, 30 m); tests use 1/60 to see alerts in seconds. */
  windowScale?: number;
  /** Rule group evaluation interval, e.g. "30s". */
  evaluationInterval?: string;
  /** A short window with fewer events than this never fires (one slow request is not a page). */
  minEvents?: number;
}

export interface RuleGroup { name: string; interval: string; rules: Record<string, unknown>[] }

/** 3600 -> "1h", 300 -> "5m", 45 -> "45s" (Prometheus duration syntax). */
export function promDuration(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const quote = (s: string) => JSON.stringify(s);

/** Label matchers selecting a journey's series. */
function selector(slo: SloDefinition): string {
  if (slo.source.kind === 'payment-jobs') return '';
  const src = slo.source;
  const m: string[] = [`route=~${quote(`(${src.routePrefixes.map(escapeRegex).join('|')}).*`)}`];
  const excluded = [...NOT_SHOPPER_ROUTE_PREFIXES, ...(src.excludePrefixes ?? [])];
  m.push(`route!~${quote(`(${[...new Set(excluded)].map(escapeRegex).join('|')}).*`)}`);
  if (src.method) m.push(`method=${quote(src.method)}`);
  return m.join(',');
}

/**
 * A float as Prometheus 3 writes a bucket bound on ingestion (prometheus/common model.FormatOpenMetricsFloat:
 * Go's shortest %g, plus ".0" on a whole number): 1 -> "1.0", 0.5 -> "0.5", 1e6 -> "1e+06", 5e-5 -> "5e-05".
 */
export function openMetricsFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const [mantissa, exponent] = Math.abs(x).toExponential().split('e') as [string, string];
  const exp = Number(exponent);
  const sign = x < 0 ? '-' : '';
  // Go's %g with the shortest precision switches to exponent form below 1e-4 and from 1e6 on.
  if (exp < -4 || exp >= 6) return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  const plain = String(x);
  return plain.includes('.') ? plain : `${plain}.0`;
}

/**
 * The label matcher for the bucket whose upper bound is `seconds`, under every spelling Prometheus may
 * have stored it with: Prometheus 2 keeps the text format's spelling (prom-client prints JavaScript's
 * String(1) = "1"), Prometheus 3 normalises `le` to float form ("1.0"), so `le="1"` matches nothing
 * there and a latency rule would read every request as slow.
 */
export function bucketBoundMatcher(seconds: number): string {
  const spellings = [...new Set([String(seconds), openMetricsFloat(seconds)])];
  return spellings.length === 1 ? `le=${quote(spellings[0]!)}` : `le=~${quote(spellings.map(escapeRegex).join('|'))}`;
}

function exprs(slo: SloDefinition, window: string): { events: string; badAvailability: string; badLatency: string } {
  const hist = slo.source.kind === 'payment-jobs' ? JOB_HISTOGRAM : HTTP_HISTOGRAM;
  const sel = selector(slo);
  const join = (...parts: string[]) => parts.filter(Boolean).join(',');
  const bad = slo.source.kind === 'payment-jobs' ? 'result=~"retry_later|error"' : 'status_class="5xx"';
  const events = `sum(rate(${hist}_count{${sel}}[${window}]))`;
  return {
    events,
    // `or vector(0)`: no bad series at all means a ratio of 0, not "no data".
    badAvailability: `(sum(rate(${hist}_count{${join(sel, bad)}}[${window}])) or vector(0)) / ${events}`,
    badLatency: `1 - (sum(rate(${hist}_bucket{${join(sel, bucketBoundMatcher(slo.latency.thresholdSeconds))}}[${window}])) or vector(0)) / ${events}`,
  };
}

const title = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
export const alertName = (journey: string, objective: 'availability' | 'latency') => `Holdfast${title(journey)}${title(objective)}BudgetBurn`;

/** The rule groups: recording rules per journey and window, then the burn-rate alerts. */
export function prometheusRuleGroups(opts: PrometheusExportOptions = {}): RuleGroup[] {
  const slos = opts.slos ?? DEFAULT_SLOS;
  const windows = opts.burnWindows ?? DEFAULT_BURN_WINDOWS;
  const scale = opts.windowScale ?? 1;
  const interval = opts.evaluationInterval ?? '30s';
  const minEvents = opts.minEvents ?? 5;
  const scaled = windows.map((w) => ({
    ...w, long: promDuration(w.longSeconds * scale), short: promDuration(w.shortSeconds * scale),
    shortSeconds: Math.max(1, Math.round(w.shortSeconds * scale)),
  }));
  const durations = [...new Set(scaled.flatMap((w) => [w.long, w.short]))];

  const recording: Record<string, unknown>[] = [];
  for (const slo of slos) {
    for (const d of durations) {
      const e = exprs(slo, d);
      recording.push({ record: `${EVENTS_RECORD}:rate${d}`, expr: e.events, labels: { journey: slo.journey } });
      recording.push({ record: `${BAD_RATIO_RECORD}:rate${d}`, expr: e.badAvailability, labels: { journey: slo.journey, objective: 'availability' } });
      recording.push({ record: `${BAD_RATIO_RECORD}:rate${d}`, expr: e.badLatency, labels: { journey: slo.journey, objective: 'latency' } });
    }
  }

  const alerts: Record<string, unknown>[] = [];
  for (const slo of slos) {
    for (const objective of ['availability', 'latency'] as const) {
      const target = objective === 'availability' ? slo.availability : slo.latency.objective;
      const budget = Number((1 - target).toPrecision(6));
      const what = objective === 'availability'
        ? `availability objective ${(target * 100).toFixed(2)}%`
        : `${(target * 100).toFixed(1)}% of requests under ${slo.latency.thresholdSeconds} s`;
      for (const w of scaled) {
        const threshold = Number((w.burnRate * budget).toPrecision(6));
        const m = `{journey=${quote(slo.journey)},objective=${quote(objective)}}`;
        alerts.push({
          alert: alertName(slo.journey, objective),
          expr: [
            `${BAD_RATIO_RECORD}:rate${w.long}${m} > ${threshold}`,
            `and ${BAD_RATIO_RECORD}:rate${w.short}${m} > ${threshold}`,
            `and on(journey) ${EVENTS_RECORD}:rate${w.short}{journey=${quote(slo.journey)}} * ${w.shortSeconds} >= ${minEvents}`,
          ].join('\n'),
          labels: {
            severity: w.severity, journey: slo.journey, objective,
            service: slo.journey === 'payment' ? 'payments' : 'storefront',
            long_window: w.long, short_window: w.short,
          },
          annotations: {
            summary: `${title(slo.journey)} journey is burning its ${objective} error budget ${w.burnRate}x too fast`,
            description: `The ${slo.journey} journey (${what}) burns its error budget at ${w.burnRate}x or more over both ${w.long} and ${w.short}. `
              + 'Holdfast\'s control role names the root cause at /api/ops/rca.',
          },
        });
      }
    }
  }
  return [
    { name: 'holdfast-slo-recording', interval, rules: recording },
    { name: 'holdfast-slo-alerts', interval, rules: alerts },
  ];
}

/** Alertmanager routing: pages to the on-call receiver, tickets to the team's queue, grouped per journey. */
export function alertmanagerConfig(): Record<string, unknown> {
  return {
    route: {
      receiver: 'holdfast-tickets',
      group_by: ['alertname', 'journey'],
      group_wait: '10s',
      group_interval: '1m',
      repeat_interval: '4h',
      routes: [
        { receiver: 'holdfast-page', matchers: ['severity="page"'], group_wait: '0s', repeat_interval: '1h' },
        { receiver: 'holdfast-tickets', matchers: ['severity="ticket"'] },
      ],
    },
    // A burning availability budget explains the latency alert of the same journey: page once.
    inhibit_rules: [
      { source_matchers: ['objective="availability"', 'severity="page"'], target_matchers: ['objective="latency"'], equal: ['journey'] },
    ],
    receivers: [
      // Replace the URLs with your PagerDuty/Slack integrations (pagerduty_configs, slack_configs).
      { name: 'holdfast-page', webhook_configs: [{ url: 'http://127.0.0.1:9095/alerts/page', send_resolved: true }] },
      { name: 'holdfast-tickets', webhook_configs: [{ url: 'http://127.0.0.1:9095/alerts/ticket', send_resolved: true }] },
    ],
  };
}

/** A prometheus.yml that scrapes Holdfast's roles and loads the exported rules. */
export function prometheusConfig(opts: { targets: string[]; scrapeInterval?: string; evaluationInterval?: string; ruleFiles?: string[]; alertmanagers?: string[] }): Record<string, unknown> {
  return {
    global: { scrape_interval: opts.scrapeInterval ?? '5s', evaluation_interval: opts.evaluationInterval ?? '5s' },
    rule_files: opts.ruleFiles ?? ['holdfast-slo-rules.yml'],
    ...(opts.alertmanagers?.length ? { alerting: { alertmanagers: [{ static_configs: [{ targets: opts.alertmanagers }] }] } } : {}),
    scrape_configs: [{ job_name: 'holdfast', metrics_path: '/metrics', static_configs: [{ targets: opts.targets }] }],
  };
}
