// From a scenario and the command line to the load that runs: where the scenario comes from, how
// --rate/--duration/--stages/--model reshape its load model, and the limits every run has.
import { availableParallelism } from 'node:os';
import { builtinScenario } from './builtin-scenarios.ts';
import { peakLevel, scheduleDuration } from './arrival-schedule.ts';
import { parseDuration } from './load-units.ts';
import { isOpenModel, type LoadModel, type ScenarioSource, type ScenarioSpec, type Stage } from './scenario-types.ts';

export async function loadScenarioSpec(source: ScenarioSource): Promise<ScenarioSpec> {
  switch (source.kind) {
    case 'builtin': return builtinScenario(source.name, source.params);
    case 'file': {
      // Loaded on demand: the YAML parser is not needed by built-in scenarios (and workers start faster).
      const { loadScenarioFile } = await import('./scenario-file.ts');
      return loadScenarioFile(source.path);
    }
    case 'inline': return source.spec;
  }
}

export interface LoadOverrides {
  /** Open model: the baseline arrival rate (the profile's shape is kept). Closed model: sets the pace. */
  rate?: number;
  /** Total length: the stages are stretched or squeezed to it. */
  duration?: number;
  stages?: Stage[];
  model?: 'open' | 'closed';
  vus?: number;
  pace?: number;
  maxVUs?: number;
}

/** "30s:10,1m:50,30s:0" -> stages (duration:target). */
export function parseStages(text: string): Stage[] {
  const stages = text.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    const m = /^([^:]+):\s*(\d+(?:\.\d+)?)$/.exec(part);
    if (!m) throw new Error(`--stages: "${part}" is not duration:target (example: 30s:10,1m:50,30s:0)`);
    return { duration: parseDuration(m[1]!, '--stages'), target: Number(m[2]) };
  });
  if (!stages.length) throw new Error('--stages: give at least one duration:target');
  return stages;
}

/** The rate the profile's shape is relative to: the starting rate, else the first non-zero stage target. */
export function baselineRate(load: LoadModel): number {
  if (load.executor === 'constant-arrival-rate') return load.rate;
  if (load.executor === 'ramping-arrival-rate') return load.startRate > 0 ? load.startRate : load.stages.find((s) => s.target > 0)?.target ?? 0;
  return 0;
}

function scaleStages(stages: Stage[], timeFactor: number, levelFactor: number): Stage[] {
  return stages.map((s) => ({ duration: s.duration * timeFactor, target: s.target * levelFactor }));
}

export function applyOverrides(load: LoadModel, o: LoadOverrides): LoadModel {
  let out: LoadModel = structuredClone(load);
  const wantsClosed = o.model === 'closed' || (o.model === undefined && !isOpenModel(out));
  if (o.stages) {
    out = wantsClosed
      ? { executor: 'ramping-vus', startVUs: o.vus ?? 0, stages: o.stages }
      : { executor: 'ramping-arrival-rate', startRate: o.rate ?? 0, stages: o.stages };
  } else if (o.rate !== undefined && isOpenModel(out)) {
    const base = baselineRate(out);
    const factor = base > 0 ? o.rate / base : 1;
    out = out.executor === 'constant-arrival-rate'
      ? { ...out, rate: o.rate }
      : { ...out, startRate: out.startRate * factor, stages: scaleStages(out.stages, 1, factor) };
  }
  if (o.duration !== undefined && !o.stages) {
    const total = scheduleDuration(out);
    const factor = total > 0 ? o.duration / total : 1;
    if (out.executor === 'constant-arrival-rate' || out.executor === 'constant-vus') out = { ...out, duration: o.duration };
    else out = { ...out, stages: scaleStages(out.stages, factor, 1) };
  }
  if (o.model === 'closed' && isOpenModel(out)) {
    // A closed-model run of an open profile: fixed VUs for the same length, paced to --rate when given
    // (else as fast as each VU can go, like autocannon or wrk).
    const vus = o.vus ?? 1;
    const pace = o.pace ?? (o.rate !== undefined && o.rate > 0 ? vus / o.rate : undefined);
    out = { executor: 'constant-vus', vus, duration: scheduleDuration(out), ...(pace !== undefined ? { pace } : {}) };
  } else if (o.model === 'open' && !isOpenModel(out)) {
    if (o.rate === undefined) throw new Error('--model open: give the arrival rate with --rate');
    out = { executor: 'constant-arrival-rate', rate: o.rate, duration: scheduleDuration(out) };
  } else if (!isOpenModel(out)) {
    if (o.vus !== undefined) out = out.executor === 'constant-vus' ? { ...out, vus: o.vus } : { ...out, stages: scaleStages(out.stages, 1, o.vus / Math.max(1, peakLevel(out))) };
    if (o.pace !== undefined) out = { ...out, pace: o.pace };
    else if (o.rate !== undefined && out.executor === 'constant-vus') out = { ...out, pace: out.vus / o.rate };
  }
  if (o.maxVUs !== undefined && isOpenModel(out)) out = { ...out, maxVUs: o.maxVUs };
  validateLoad(out);
  return out;
}

export function validateLoad(load: LoadModel): void {
  const problems: string[] = [];
  const dur = scheduleDuration(load);
  if (!(dur > 0)) problems.push('the run has no duration');
  if (load.executor === 'constant-arrival-rate' && !(load.rate > 0)) problems.push('rate must be above 0');
  if ((load.executor === 'ramping-arrival-rate' || load.executor === 'ramping-vus') && load.stages.some((s) => !(s.duration >= 0) || !(s.target >= 0))) problems.push('stages need durations and targets ≥ 0');
  if (load.executor === 'constant-vus' && !(Number.isInteger(load.vus) && load.vus >= 1)) problems.push('vus must be a whole number ≥ 1');
  if (peakLevel(load) <= 0) problems.push('the load never rises above 0');
  if (isOpenModel(load) && load.maxVUs !== undefined && !(Number.isInteger(load.maxVUs) && load.maxVUs >= 1)) problems.push('maxVUs must be a whole number ≥ 1');
  if (problems.length) throw new Error(`invalid load model (${load.executor}): ${problems.join('; ')}`);
}

/** Longest think time a journey can have, in seconds (for sizing the in-flight limit). */
export function maxJourneyThink(spec: ScenarioSpec): number {
  let most = 0;
  for (const j of spec.journeys) {
    let sum = 0;
    for (const s of j.steps) sum += s.think === undefined ? 0 : typeof s.think === 'number' ? s.think : s.think.max;
    most = Math.max(most, sum);
  }
  return most;
}

/**
 * The default limit on iterations in flight for an open model: enough for every iteration of the peak
 * rate to take its think times plus 10 s, so a stall of several seconds is measured rather than
 * dropped; capped to protect the generator itself.
 */
export function defaultMaxVUs(load: LoadModel, spec: ScenarioSpec): number {
  const peak = peakLevel(load);
  return Math.min(20_000, Math.max(20, Math.ceil(peak * (maxJourneyThink(spec) + 10))));
}

/**
 * One worker thread per core, except against a target on this machine: it needs cores too, and a
 * generator that takes them all slows down the very target it measures (each thread then also handles
 * fewer responses per wake-up). There the generator takes half the cores, at least one.
 */
export function defaultWorkers(targetOnThisMachine: boolean): number {
  const cores = availableParallelism();
  return targetOnThisMachine ? Math.max(1, Math.floor(cores / 2)) : cores;
}

/** Splits n into `parts` near-equal whole shares (the first ones get the remainder). */
export function shareOf(n: number, parts: number, index: number): number {
  const base = Math.floor(n / parts);
  return base + (index < n % parts ? 1 : 0);
}
