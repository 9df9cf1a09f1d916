// Game-day experiments, in the spirit of Chaos Toolkit and Chaos Mesh: a steady-state hypothesis (probes
// with tolerances, checked before the faults and after the recovery), a method (a load profile, and
// faults with start times and durations), rollbacks (every fault cleared, always), abort conditions
// (stop early when a probe breaks beyond a limit) and thresholds on the scorecard that set the exit code.
// A YAML or JSON file describes one (docs/gameday.md); every problem is reported with its field.
import path from 'node:path';
import { FieldReader, isObj, type Stage } from '../loadtest/index.ts';
import { readDataFile } from '../platform/config/data-file.ts';

/** What a steady-state probe or an abort condition measures. */
export const PROBE_MEASURES = {
  'error-ratio': 'share of the shoppers\' responses that were errors over the probe\'s window (the load generator\'s count)',
  'latency-p99-ms': 'the shoppers\' p99 response time over the probe\'s window, ms (the load generator\'s)',
  'alerts-firing': 'alerts the control role has firing now (SLO burn rates and the degradation detector)',
  'orders-unsettled': 'orders of the run that have waited for payment (pending_payment) longer than 10 s: the payment backlog',
} as const;
export type ProbeMeasure = keyof typeof PROBE_MEASURES;

/** The scorecard's figures a threshold may judge. */
export const SCORE_FIGURES = [
  'shoppersAffectedRatio', 'shoppersQueuedRatio', 'timeToDetectSeconds', 'timeToRootCauseSeconds', 'timeToMitigationSeconds',
  'timeToRecoverySeconds', 'orders.lost', 'orders.doubleCharges', 'orders.failed', 'orders.timeToPaidP50Seconds', 'orders.timeToPaidP99Seconds',
] as const;
export type ScoreFigure = (typeof SCORE_FIGURES)[number];

export interface Probe {
  name: string;
  measure: ProbeMeasure;
  /** Tolerance: the probe holds while the measure is at most this. */
  max: number;
  /** Seconds of load the windowed measures (error ratio, p99) look back over (default 20). */
  window: number;
}

export interface FaultStep {
  fault: string;
  params: Record<string, unknown>;
  /** Seconds from the start of the load. */
  start: number;
  duration: number;
}

export interface AbortCondition { measure: ProbeMeasure; above: number; for: number }

export interface ScoreThreshold { text: string; figure: ScoreFigure; op: '<' | '<=' | '>' | '>=' | '=='; value: number }

export interface Experiment {
  name: string;
  description?: string;
  /** The length the method's times are written for (seconds); `--duration` scales every time by its ratio to this. */
  duration: number;
  method: {
    load: {
      /** A built-in shop scenario (its journeys) or a scenario file. */
      scenario: string;
      startRate: number;
      stages: Stage[];
      /** A shopper response slower than this (ms) affects the shopper as an error does. */
      requestObjectiveMs: number;
    };
    faults: FaultStep[];
  };
  steadyState: Probe[];
  abort: AbortCondition[];
  thresholds: ScoreThreshold[];
  /** The root cause a correct finding names: the component ranked first, and the network's verdict. */
  expectedRootCause: { component: string; networkInvolved: boolean } | null;
  /**
   * Seconds of load at the start rate before the experiment's clock starts (not scored, not scaled by
   * --duration): a shop just started serves its first requests slowly, and the control role needs a baseline.
   */
  warmUp: number;
  /** After the load: how long to wait for the SLOs to come back and the payment backlog to drain (seconds). */
  recoveryTimeout: number;
  /** How `holdfast gameday` starts its own deployment (ignored with --target-url). */
  deployment: { autoscale: boolean; env: Record<string, string> };
}

export class ExperimentFileError extends Error {}

const OPS = ['<=', '>=', '==', '<', '>'] as const;

export function parseScoreThreshold(text: string): ScoreThreshold | string {
  const m = /^\s*([A-Za-z.]+)\s*(<=|>=|==|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!m) return `"${text}" is not "<figure> <op> <number>" (e.g. "timeToDetectSeconds < 15")`;
  if (!(SCORE_FIGURES as readonly string[]).includes(m[1]!)) return `"${m[1]}" is not a scorecard figure (one of ${SCORE_FIGURES.join(', ')})`;
  return { text: text.trim(), figure: m[1] as ScoreFigure, op: m[2] as ScoreThreshold['op'], value: Number(m[3]) };
}

export function thresholdHolds(t: ScoreThreshold, observed: number): boolean {
  switch (t.op) {
    case '<': return observed < t.value;
    case '<=': return observed <= t.value;
    case '>': return observed > t.value;
    case '>=': return observed >= t.value;
    case '==': return observed === t.value;
  }
}

function readMeasure(r: FieldReader, raw: Record<string, unknown>, where: string): ProbeMeasure | undefined {
  const measure = r.str(raw, 'measure', where, true);
  if (measure === undefined) return undefined;
  if (!Object.hasOwn(PROBE_MEASURES, measure)) { r.fail(`${where}.measure`, `must be one of ${Object.keys(PROBE_MEASURES).join(', ')}`); return undefined; }
  return measure as ProbeMeasure;
}

function readStages(r: FieldReader, raw: unknown, where: string): Stage[] {
  if (!Array.isArray(raw) || !raw.length) { r.fail(where, 'must be a non-empty list of {duration, target}'); return []; }
  return raw.map((s, i) => {
    const w = `${where}[${i}]`;
    if (!isObj(s)) { r.fail(w, 'must be {duration, target}'); return { duration: 0, target: 0 }; }
    r.only(s, w, ['duration', 'target']);
    return { duration: r.dur(s, 'duration', w, true) ?? 0, target: r.num(s, 'target', w, { required: true }) ?? 0 };
  });
}

/** Validates and normalises the parsed content of an experiment file. */
export function experimentFromData(data: unknown, origin: string): Experiment {
  const r = new FieldReader();
  if (!isObj(data)) throw new ExperimentFileError(`${origin}: an experiment file holds an object with name, duration, method, steadyState and thresholds`);
  r.only(data, 'experiment', ['name', 'description', 'duration', 'warmUp', 'method', 'steadyState', 'rollbacks', 'abort', 'thresholds', 'expect', 'recovery', 'deployment']);
  const name = r.str(data, 'name', 'experiment', true) ?? path.basename(origin).replace(/\.\w+$/, '');
  const parsedDuration = r.dur(data, 'duration', 'experiment', true);
  if (parsedDuration !== undefined && !(parsedDuration > 0)) r.fail('duration', 'must be longer than 0');
  const duration = parsedDuration ?? 0;

  const experiment: Experiment = {
    name, duration,
    method: { load: { scenario: 'mixed', startRate: 1, stages: [], requestObjectiveMs: 1000 }, faults: [] },
    steadyState: [], abort: [], thresholds: [], expectedRootCause: null, recoveryTimeout: 120, deployment: { autoscale: true, env: {} },
    warmUp: r.dur(data, 'warmUp', 'experiment') ?? 30,
  };
  const description = r.str(data, 'description', 'experiment');
  if (description) experiment.description = description;

  // method: load and faults
  if (!isObj(data.method)) r.fail('method', 'is required: {load: {scenario, startRate, stages}, faults: [...]}');
  else {
    r.only(data.method, 'method', ['load', 'faults']);
    const load = data.method.load;
    if (!isObj(load)) r.fail('method.load', 'is required: {scenario: holiday-surge, startRate: 5, stages: [{duration: 1m, target: 25}, ...]}');
    else {
      r.only(load, 'method.load', ['scenario', 'startRate', 'stages', 'requestObjective']);
      experiment.method.load = {
        scenario: r.str(load, 'scenario', 'method.load', true) ?? 'mixed',
        startRate: r.num(load, 'startRate', 'method.load', { required: true }) ?? 1,
        stages: readStages(r, load.stages, 'method.load.stages'),
        requestObjectiveMs: load.requestObjective === undefined ? 1000 : (r.dur(load, 'requestObjective', 'method.load') ?? 1) * 1000,
      };
      if (load.requestObjective !== undefined && !(experiment.method.load.requestObjectiveMs > 0)) r.fail('method.load.requestObjective', 'must be longer than 0');
    }
    if (data.method.faults !== undefined) {
      if (!Array.isArray(data.method.faults)) r.fail('method.faults', 'must be a list of {fault, params, start, duration}');
      else {
        data.method.faults.forEach((f, i) => {
          const where = `method.faults[${i}]`;
          if (!isObj(f)) { r.fail(where, 'must be {fault, params, start, duration}'); return; }
          r.only(f, where, ['fault', 'params', 'start', 'duration']);
          const fault = r.str(f, 'fault', where, true);
          if (fault !== undefined && !/^[a-z]+\.[a-z.-]+$/.test(fault)) r.fail(`${where}.fault`, 'must be a fault name such as psp.latency (holdfast faults list)');
          if (f.params !== undefined && !isObj(f.params)) r.fail(`${where}.params`, 'must be an object, e.g. {latencyMs: 2000}');
          const start = r.dur(f, 'start', where, true);
          const length = r.dur(f, 'duration', where, true);
          if (length !== undefined && !(length > 0)) r.fail(`${where}.duration`, 'must be longer than 0');
          if (start !== undefined && length !== undefined && duration > 0 && start + length > duration) {
            r.fail(where, `ends at ${start + length} s, after the experiment's duration (${duration} s)`);
          }
          if (fault !== undefined && start !== undefined && length !== undefined) {
            experiment.method.faults.push({ fault, params: isObj(f.params) ? f.params : {}, start, duration: length });
          }
        });
      }
    }
  }
  const stagesLength = experiment.method.load.stages.reduce((n, s) => n + s.duration, 0);
  if (duration > 0 && stagesLength > 0 && Math.abs(stagesLength - duration) > 1e-6) {
    r.fail('method.load.stages', `add up to ${stagesLength} s, not the experiment's duration (${duration} s)`);
  }

  // steady-state hypothesis
  if (!Array.isArray(data.steadyState) || !data.steadyState.length) r.fail('steadyState', 'must be a non-empty list of probes {name, measure, max, window}');
  else {
    data.steadyState.forEach((p, i) => {
      const where = `steadyState[${i}]`;
      if (!isObj(p)) { r.fail(where, 'must be {name, measure, max, window}'); return; }
      r.only(p, where, ['name', 'measure', 'max', 'window']);
      const probeName = r.str(p, 'name', where, true);
      const measure = readMeasure(r, p, where);
      const max = r.num(p, 'max', where, { required: true });
      const window = r.dur(p, 'window', where) ?? 20;
      if (!(window > 0)) r.fail(`${where}.window`, 'must be longer than 0');
      if (probeName && measure && max !== undefined) experiment.steadyState.push({ name: probeName, measure, max, window });
    });
    const names = experiment.steadyState.map((p) => p.name);
    names.forEach((n, i) => { if (names.indexOf(n) !== i) r.fail(`steadyState[${i}].name`, `"${n}" is used twice`); });
  }

  // rollbacks: clearing every fault is not optional
  if (data.rollbacks !== undefined) {
    if (!isObj(data.rollbacks)) r.fail('rollbacks', 'must be {clearFaults: true}');
    else {
      r.only(data.rollbacks, 'rollbacks', ['clearFaults']);
      if (data.rollbacks.clearFaults !== true) r.fail('rollbacks.clearFaults', 'must be true: the faults an experiment sets are always cleared (at its end, on failure, on Ctrl-C)');
    }
  }

  if (data.abort !== undefined) {
    if (!Array.isArray(data.abort)) r.fail('abort', 'must be a list of {measure, above, for}');
    else {
      data.abort.forEach((a, i) => {
        const where = `abort[${i}]`;
        if (!isObj(a)) { r.fail(where, 'must be {measure, above, for}'); return; }
        r.only(a, where, ['measure', 'above', 'for']);
        const measure = readMeasure(r, a, where);
        const above = r.num(a, 'above', where, { required: true });
        const lasting = r.dur(a, 'for', where) ?? 0;
        if (measure && above !== undefined) experiment.abort.push({ measure, above, for: lasting });
      });
    }
  }

  const thresholds = r.strings(data, 'thresholds', 'experiment');
  if (!thresholds?.length) { if (thresholds) r.fail('thresholds', 'must list at least one threshold'); else if (data.thresholds === undefined) r.fail('thresholds', 'are required: e.g. ["timeToDetectSeconds < 15", "orders.lost == 0"]'); }
  thresholds?.forEach((t, i) => {
    const parsed = parseScoreThreshold(t);
    if (typeof parsed === 'string') r.fail(`thresholds[${i}]`, parsed);
    else experiment.thresholds.push(parsed);
  });

  if (data.expect !== undefined) {
    if (!isObj(data.expect)) r.fail('expect', 'must be {rootCause: {component, networkInvolved}}');
    else {
      r.only(data.expect, 'expect', ['rootCause']);
      const rc = data.expect.rootCause;
      if (!isObj(rc)) r.fail('expect.rootCause', 'must be {component: payment-provider, networkInvolved: false}');
      else {
        r.only(rc, 'expect.rootCause', ['component', 'networkInvolved']);
        const component = r.str(rc, 'component', 'expect.rootCause', true);
        if (typeof rc.networkInvolved !== 'boolean') r.fail('expect.rootCause.networkInvolved', 'must be true or false');
        if (component && typeof rc.networkInvolved === 'boolean') experiment.expectedRootCause = { component, networkInvolved: rc.networkInvolved };
      }
    }
  }

  if (data.recovery !== undefined) {
    if (!isObj(data.recovery)) r.fail('recovery', 'must be {timeout: 2m}');
    else {
      r.only(data.recovery, 'recovery', ['timeout']);
      const timeout = r.dur(data.recovery, 'timeout', 'recovery', true);
      if (timeout !== undefined) experiment.recoveryTimeout = timeout;
    }
  }

  if (data.deployment !== undefined) {
    if (!isObj(data.deployment)) r.fail('deployment', 'must be {autoscale: true|false, env: {NAME: value}}');
    else {
      r.only(data.deployment, 'deployment', ['autoscale', 'env']);
      if (data.deployment.autoscale !== undefined && typeof data.deployment.autoscale !== 'boolean') r.fail('deployment.autoscale', 'must be true or false');
      const env = r.stringMap(data.deployment, 'env', 'deployment');
      for (const k of Object.keys(env ?? {})) if (!/^[A-Z][A-Z0-9_]*$/.test(k)) r.fail(`deployment.env.${k}`, 'must be an environment variable name (A-Z, 0-9, _)');
      experiment.deployment = { autoscale: data.deployment.autoscale !== false, env: env ?? {} };
    }
  }

  if (r.problems.length) throw new ExperimentFileError(`${origin} has ${r.problems.length} problem(s):\n  - ${r.problems.join('\n  - ')}`);
  return experiment;
}

export async function loadExperimentFile(file: string): Promise<Experiment> {
  return experimentFromData(await readDataFile(file, (message) => new ExperimentFileError(message)), file);
}

/** The experiment with every time (stages, faults, probe windows, abort durations) scaled to `seconds` long. */
export function scaleExperiment(e: Experiment, seconds: number): Experiment {
  const k = seconds / e.duration;
  const round = (s: number) => Math.round(s * k * 1000) / 1000;
  return {
    ...e,
    duration: seconds,
    method: {
      load: { ...e.method.load, stages: e.method.load.stages.map((s) => ({ ...s, duration: round(s.duration) })) },
      faults: e.method.faults.map((f) => ({ ...f, start: round(f.start), duration: round(f.duration) })),
    },
    // Windows and abort durations shrink with the run but not below what a reading needs.
    steadyState: e.steadyState.map((p) => ({ ...p, window: Math.max(5, round(p.window)) })),
    abort: e.abort.map((a) => ({ ...a, for: Math.max(3, round(a.for)) })),
  };
}
