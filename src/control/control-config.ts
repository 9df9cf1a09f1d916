// The control role's settings: scrape targets, window, SLOs per user journey and detector thresholds.
// Defaults suit the demo; HOLDFAST_CONTROL_SCRAPE_TARGETS (comma-separated /metrics URLs of other role
// processes) and HOLDFAST_SLO_FILE (a JSON array of SloDefinition) override them.
import { readFileSync } from 'node:fs';

export interface SloDefinition {
  /** user journey: browse, cart, checkout, payment */
  journey: string;
  /** what counts: HTTP requests matching routes, or payment jobs */
  source: { kind: 'http'; method?: string; routePrefixes: string[]; excludePrefixes?: string[] } | { kind: 'payment-jobs' };
  /** share of requests that must not fail (5xx, or a job that must be retried), e.g. 0.999 */
  availability: number;
  /** latency objective: this share of requests at or under thresholdSeconds (a histogram bucket bound) */
  latency: { thresholdSeconds: number; objective: number };
}

export interface BurnWindow {
  /** the real-time windows of the SRE workbook (seconds), before scaling */
  longSeconds: number;
  shortSeconds: number;
  burnRate: number;
  severity: 'page' | 'ticket';
}

export interface ControlSettings {
  intervalMs: number;
  /** how much history is kept (seconds) */
  windowSeconds: number;
  /** rate window each reading summarises (seconds) */
  rateWindowSeconds: number;
  scrapeTargets: string[];
  /** also read this process' own registry (true when any role runs in the control process) */
  scrapeSelf: boolean;
  slos: SloDefinition[];
  burnWindows: BurnWindow[];
  /** the workbook's windows are multiplied by this (1/60: 1 h becomes 60 s) for a demo-sized shop */
  burnWindowScale: number;
  detector: DetectorSettings;
}

export interface DetectorSettings {
  /** baseline: readings from this long ago ... */
  baselineSeconds: number;
  /** ... up to this long ago (the recent past is what is judged) */
  guardSeconds: number;
  /** readings of the current level (their median is judged: sustained, not a spike) */
  currentReadings: number;
  /** robust units to fire / to resolve */
  fireUnits: number;
  resolveUnits: number;
  /** a latency must also be this many times its baseline and this much higher (seconds) */
  minLatencyRatio: number;
  minLatencyIncreaseSeconds: number;
  /** an error ratio must also rise by this much (absolute) */
  minErrorRatioIncrease: number;
  /** seconds below the resolve threshold before an alert resolves */
  resolveAfterSeconds: number;
  /** fewest baseline readings (with traffic) to judge a signal at all */
  minBaselineReadings: number;
  /** fewest events behind the current readings (rate x reading window) to judge them */
  minEvents: number;
  /**
   * fewest events above a quantile for it to be judged: a p99 over 75 calls is the single slowest call,
   * and one slow call is not a degradation (p99 then needs 300 events a reading; p50 six)
   */
  minTailEvents: number;
}

const ROUTES_NOT_SHOPPER = ['/api/admin', '/api/ops', '/metrics', '/healthz', '/readyz', '/api/openapi.json'];

export const DEFAULT_SLOS: SloDefinition[] = [
  { journey: 'browse', source: { kind: 'http', method: 'GET', routePrefixes: ['/'], excludePrefixes: [...ROUTES_NOT_SHOPPER, '/api/carts', '/api/orders'] },
    availability: 0.999, latency: { thresholdSeconds: 0.5, objective: 0.99 } },
  { journey: 'cart', source: { kind: 'http', routePrefixes: ['/api/carts'] }, availability: 0.999, latency: { thresholdSeconds: 0.5, objective: 0.99 } },
  { journey: 'checkout', source: { kind: 'http', method: 'POST', routePrefixes: ['/api/checkout'] }, availability: 0.999, latency: { thresholdSeconds: 1, objective: 0.99 } },
  { journey: 'payment', source: { kind: 'payment-jobs' }, availability: 0.99, latency: { thresholdSeconds: 1, objective: 0.95 } },
];

/** The SRE workbook's multiwindow, multi-burn-rate policy (workbook, "Alerting on SLOs", table 5-8). */
export const DEFAULT_BURN_WINDOWS: BurnWindow[] = [
  { longSeconds: 3600, shortSeconds: 300, burnRate: 14.4, severity: 'page' },
  { longSeconds: 21_600, shortSeconds: 1800, burnRate: 6, severity: 'page' },
];

export const DEFAULT_DETECTOR: DetectorSettings = {
  baselineSeconds: 300,
  guardSeconds: 10,
  currentReadings: 3,
  fireUnits: 6,
  resolveUnits: 3,
  minLatencyRatio: 2,
  minLatencyIncreaseSeconds: 0.05,
  minErrorRatioIncrease: 0.05,
  resolveAfterSeconds: 15,
  minBaselineReadings: 10,
  minEvents: 5,
  minTailEvents: 3,
};

export function controlSettings(config: { controlScrapeTargets: string[]; sloFile?: string | undefined }, overrides: Partial<ControlSettings> = {}): ControlSettings {
  const targets = config.controlScrapeTargets;
  let slos = DEFAULT_SLOS;
  if (config.sloFile) slos = JSON.parse(readFileSync(config.sloFile, 'utf8')) as SloDefinition[];
  return {
    intervalMs: 1000, windowSeconds: 3600, rateWindowSeconds: 5, scrapeTargets: targets, scrapeSelf: true,
    slos, burnWindows: DEFAULT_BURN_WINDOWS, burnWindowScale: 1 / 60, detector: DEFAULT_DETECTOR,
    ...overrides,
  };
}
