// The typed scenario API. A scenario is a load model (open: iterations arrive at a rate; closed: a number
// of virtual users loop) plus weighted user journeys; a journey is a list of steps; a step is one HTTP
// request with builders for its URL, headers and body, think time, values to extract for later steps,
// checks, and thresholds. Scenario files (YAML/JSON) describe the same structure; TypeScript scenarios
// may also use functions wherever a template string is accepted.
//
// Templates: "{{cartId}}", "{{product.slug}}", "{{items[0].id}}", and the generators "{{$uuid}}",
// "{{$randomInt(1,5)}}", "{{$vu}}", "{{$iteration}}", "{{$timestamp}}". A string that is exactly one
// "{{...}}" keeps the value's type inside a JSON body (a number stays a number).

/**
 * Variables by name. The ones steps run with (and a TypeScript scenario's functions receive) have no
 * Object.prototype behind them (an iteration's own variables over the shared ones, both null-prototype
 * objects), so every name is a variable name: `vars.toString` is undefined unless a step extracted
 * `toString`, and an extract or pick called `__proto__` is a variable like any other.
 */
export type Vars = Record<string, unknown>;
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** What a check or an extractor sees of a response. */
export interface ResponseView {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text ('' when the step needed no body). */
  body: string;
  /** The body parsed as JSON (parsed once; throws when it is not JSON). */
  json(): unknown;
  /** Time from the request's scheduled start to the end of the response, in ms. */
  durationMs: number;
}

/**
 * One check on a response; every condition given must hold. Declarative conditions export to k6 as they
 * are; `fn` runs as written (the k6 export inlines its source, so it must not use closures).
 */
export interface CheckSpec {
  name: string;
  status?: number | number[];
  /** A JSON path into the body ("$.id", "$.items[0].slug"): with no other condition it must exist. */
  jsonPath?: string;
  equals?: unknown;
  /** The body contains this text. */
  bodyIncludes?: string;
  fn?: (res: ResponseView, vars: Vars) => boolean;
}

/** Think time after a step, in seconds: fixed, or uniformly random between min and max. */
export type ThinkTime = number | { min: number; max: number };

export interface StepSpec {
  name: string;
  method?: HttpMethod;
  /** A path relative to the target ("/api/carts/{{cartId}}") or an absolute URL. */
  url: string | ((vars: Vars) => string);
  headers?: Record<string, string> | ((vars: Vars) => Record<string, string>);
  /** A JSON body (templates inside strings are rendered); sets content-type: application/json. */
  json?: unknown;
  /** A raw text body (template), for non-JSON requests. */
  body?: string | ((vars: Vars) => string);
  /** Binds a variable to a random element of a list variable before the step: { product: 'products' }. */
  pick?: Record<string, string>;
  /** Variables to take from the response: { cartId: '$.id', location: 'header:location', code: 'status' }. */
  extract?: Record<string, string> | ((res: ResponseView, vars: Vars) => Vars);
  checks?: CheckSpec[];
  /** Statuses that are not errors (default: 200-399). */
  expect?: number[];
  /**
   * Statuses after which the journey ends quietly, as a shopper leaves when an item is sold out (they
   * must also be expected, or they count as errors first).
   */
  stopOn?: number[];
  think?: ThinkTime;
  /** Thresholds on this step alone: "p(99)<300ms", "error_rate<0.01", "checks>0.99". */
  thresholds?: string[];
  /** Per-request timeout in seconds (default: the run's --timeout). */
  timeout?: number;
  /** Keep going with the journey's next step when this one fails (default: the iteration ends). */
  continueOnError?: boolean;
  /**
   * Send the request again until the response's JSON at `jsonPath` holds the value wanted (an order's
   * page polled until it is paid). The step is then one response: its latency runs from the step's start
   * to the answer that met the condition; when the timeout passes first, the step fails as a timeout.
   */
  until?: UntilSpec;
}

/** The condition an `until` step waits for: the value at `jsonPath` equals `equals`, or is one of `in`. */
export interface UntilSpec {
  jsonPath: string;
  equals?: unknown;
  in?: unknown[];
  /** Seconds between two polls (default 1). */
  interval?: number;
  /** Seconds from the step's start after which it fails (default 60). */
  timeout?: number;
}

export interface JourneySpec {
  name: string;
  /** Relative weight among the scenario's journeys (default 1). */
  weight?: number;
  steps: StepSpec[];
}

/** k6-style stage: ramp linearly to `target` over `duration` seconds. */
export interface Stage { duration: number; target: number }

/**
 * The load model. Arrival-rate models are open: iterations start on schedule whether or not earlier ones
 * finished (up to maxVUs in flight; beyond that they are dropped and counted). VU models are closed: each
 * virtual user starts its next iteration when the last one ended (no sooner than `pace` seconds after the
 * last one started), so a slow server slows the load down: that is the coordinated-omission effect.
 */
export type LoadModel =
  | { executor: 'constant-arrival-rate'; rate: number; duration: number; maxVUs?: number }
  | { executor: 'ramping-arrival-rate'; startRate: number; stages: Stage[]; maxVUs?: number }
  | { executor: 'constant-vus'; vus: number; duration: number; pace?: number }
  | { executor: 'ramping-vus'; startVUs: number; stages: Stage[]; pace?: number };

export interface ScenarioSpec {
  name: string;
  description?: string;
  load: LoadModel;
  journeys: JourneySpec[];
  /** Steps run once before the load starts (e.g. fetch product ids); their extracted vars are shared. */
  setup?: StepSpec[];
  /** Constant variables (lists for `pick`, search terms, ...). */
  data?: Vars;
  /** Run-wide thresholds, or "<step>: <expr>" for one step ("checkout/place-order: p(99)<800ms"). */
  thresholds?: string[];
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** How each iteration behaves as a shopper (the built-in shop scenarios turn both on). */
  shopper?: ShopperSpec;
}

/** Each iteration is a new shopper: what it does that a browser would. */
export interface ShopperSpec {
  /** Keep the cookies the target sets (a jar per iteration) and send them back. */
  cookies?: boolean;
  /**
   * Wait in a waiting room as a browser would: a 429 answer with `{"error":{"code":"WAITING_ROOM"},
   * "waitingRoom":{"refreshIntervalSeconds":N}}` is asked again after N seconds (with the room's cookie)
   * until the shopper is let in, then the journey carries on. The time queued is reported on its own
   * and is not part of any request's latency; the polls are not requests of the step.
   */
  waitingRoom?: boolean;
}

/** Identity function that gives a TypeScript scenario file its types: `export default defineScenario({...})`. */
export function defineScenario(spec: ScenarioSpec): ScenarioSpec {
  return spec;
}

/** Where a scenario comes from; workers load it again from the same source. */
export type ScenarioSource =
  | { kind: 'builtin'; name: string; params?: BuiltinParams }
  | { kind: 'file'; path: string }
  /** A declarative scenario object (no functions: it is copied to the worker threads). */
  | { kind: 'inline'; spec: ScenarioSpec };

/** Parameters of the built-in scenarios (the `http` scenario's request). */
export interface BuiltinParams {
  url?: string;
  method?: HttpMethod;
  headers?: Record<string, string>;
  body?: string;
  expect?: number[];
}

export const ARRIVAL_EXECUTORS = ['constant-arrival-rate', 'ramping-arrival-rate'] as const;
export const VU_EXECUTORS = ['constant-vus', 'ramping-vus'] as const;

export function isOpenModel(load: LoadModel): load is Extract<LoadModel, { executor: 'constant-arrival-rate' | 'ramping-arrival-rate' }> {
  return load.executor === 'constant-arrival-rate' || load.executor === 'ramping-arrival-rate';
}
