// The control role's settings: scrape targets, window, SLOs per user journey and detector thresholds.
// Defaults suit the demo; HOLDFAST_CONTROL_SCRAPE_TARGETS (comma-separated /metrics URLs of other role
// processes) and HOLDFAST_SLO_FILE (a JSON array of SloDefinition, checked against SloFileSchema) override them.
import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { ConfigError, defineConfigSlice, type SliceConfig } from '../platform/config/config.ts';
import { schemaProblems } from '../platform/config/schema-problems.ts';
import { NOT_SHOPPER_ROUTE_PREFIXES } from '../telemetry/index.ts';

/** The control role's settings in the configuration (the rest of ControlSettings has built-in defaults). */
export const controlConfig = defineConfigSlice({
  controlScrapeTargets: Type.Array(Type.String({ pattern: '^https?://' }), { default: [], maxItems: 64, description: 'Control role: /metrics URLs of other role processes to scrape (comma-separated in the environment)' }),
  sloFile: Type.Optional(Type.String({ minLength: 1, description: 'Control role: JSON file of SLO definitions replacing the built-in journeys, checked before anything starts (docs/observability.md)' })),
}, {
  HOLDFAST_CONTROL_SCRAPE_TARGETS: 'controlScrapeTargets',
  HOLDFAST_SLO_FILE: 'sloFile',
});

export type ControlConfig = SliceConfig<typeof controlConfig>;

/** A share strictly between 0 and 1: an objective of 1 leaves no error budget to burn. */
const Objective = (description: string) => Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description });
const RoutePrefix = Type.String({ pattern: '^/', description: 'start of a route pattern, e.g. /api/carts' });

export const SloDefinitionSchema = Type.Object({
  journey: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$', description: 'user journey: browse, cart, checkout, payment (alert and metric label)' }),
  source: Type.Union([
    Type.Object({
      kind: Type.Literal('http'),
      method: Type.Optional(Type.Enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])),
      routePrefixes: Type.Array(RoutePrefix, { minItems: 1 }),
      excludePrefixes: Type.Optional(Type.Array(RoutePrefix)),
    }, { additionalProperties: false }),
    Type.Object({ kind: Type.Literal('payment-jobs') }, { additionalProperties: false }),
  ], { description: 'what counts: HTTP requests matching routes, or payment jobs' }),
  availability: Objective('share of requests that must not fail (5xx, or a job that must be retried), e.g. 0.999'),
  latency: Type.Object({
    thresholdSeconds: Type.Number({ exclusiveMinimum: 0, description: 'a histogram bucket bound' }),
    objective: Objective('share of requests at or under thresholdSeconds'),
  }, { additionalProperties: false }),
}, { additionalProperties: false });

export type SloDefinition = Static<typeof SloDefinitionSchema>;

/** The SLO file: at least one definition. */
export const SloFileSchema = Type.Array(SloDefinitionSchema, { minItems: 1 });

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
  /**
   * The tail-exceedance test (change-detector.ts tailExceedance), judged only where a 5 s reading holds
   * too few events for a median: the windows it looks at (seconds, shortest first; the shortest that
   * fires is named), ...
   */
  tailWindowsSeconds: number[];
  /** ... a call counts above this many times the baseline's slow end (its p99 readings' 90th percentile) ... */
  tailBoundMultiple: number;
  /**
   * ... that multiple reaching past this (seconds) only as far as `tailBoundSlowMultiple` times the slow end:
   * a baseline whose slowest calls already take hundreds of milliseconds would otherwise put the bound
   * past any delay worth alerting (5 x 0.45 s is 2.25 s) ...
   */
  tailBoundCapSeconds: number;
  tailBoundSlowMultiple: number;
  /** ... and at least this far over the baseline median (seconds, before traffic normalisation) ... */
  tailMinIncreaseSeconds: number;
  /** ... and it fires with at least this many such calls, more than half of the window's */
  tailMinCalls: number;
}


export const DEFAULT_SLOS: SloDefinition[] = [
  { journey: 'browse', source: { kind: 'http', method: 'GET', routePrefixes: ['/'], excludePrefixes: [...NOT_SHOPPER_ROUTE_PREFIXES, '/api/carts', '/api/orders'] },
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
  tailWindowsSeconds: [10, 15],
  tailBoundMultiple: 5,
  tailBoundCapSeconds: 1,
  tailBoundSlowMultiple: 2,
  tailMinIncreaseSeconds: 0.25,
  tailMinCalls: 3,
};

/**
 * The SLO definitions in a file (HOLDFAST_SLO_FILE). Throws a ConfigError listing every problem, each
 * named by its place in the file (`[1].latency.objective`), so that a bad file stops start-up.
 */
export function readSloFile(file: string): SloDefinition[] {
  const where = (at: string) => `${at || 'sloFile'} (in ${file}, HOLDFAST_SLO_FILE)`;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`${where('')}: ${(err as Error).message}`]);
  }
  const problems = schemaProblems(SloFileSchema, data).map((p) => `${where(p.at)}: ${p.message}`);
  if (problems.length === 0) {
    // Journeys name the alerts and the control role's series: two definitions of one journey would merge.
    const first = new Map<string, number>();
    (data as SloDefinition[]).forEach((slo, i) => {
      const earlier = first.get(slo.journey);
      if (earlier === undefined) first.set(slo.journey, i);
      else problems.push(`${where(`[${i}].journey`)}: "${slo.journey}" is already the journey of [${earlier}]`);
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return data as SloDefinition[];
}

/**
 * The SLOs the control role judges, and `holdfast export` writes rules and dashboards for: the SLO file's
 * (HOLDFAST_SLO_FILE, checked: a ConfigError lists its problems), else the built-in journeys.
 */
export function configuredSlos(config: { sloFile?: string | undefined }): SloDefinition[] {
  return config.sloFile ? readSloFile(config.sloFile) : DEFAULT_SLOS;
}

export function controlSettings(config: { controlScrapeTargets: string[]; sloFile?: string | undefined }, overrides: Partial<ControlSettings> = {}): ControlSettings {
  const targets = config.controlScrapeTargets;
  const slos = overrides.slos ?? configuredSlos(config);
  return {
    intervalMs: 1000, windowSeconds: 3600, rateWindowSeconds: 5, scrapeTargets: targets, scrapeSelf: true,
    slos, burnWindows: DEFAULT_BURN_WINDOWS, burnWindowScale: 1 / 60, detector: DEFAULT_DETECTOR,
    ...overrides,
  };
}
