// `holdfast rca analyze <case-dir | data.csv | directory of cases> [--inject-time T] [--json] [--top N] [--detect]`
// One case: the ranked causes with their evidence (ours in full, the two baselines' verdicts beside it).
// A directory of cases with truth.json: every method on every case, then AC@1, AC@3, Avg@5 per method,
// overall and per split / fault class / scenario, and the cases our ranker missed.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { findCaseDirs, isCaseDir, readCase } from './case-files.ts';
import { evaluateCase, rankOf, summarise, type CaseOutcome, type EvaluationCase } from './evaluation.ts';
import { RANKERS } from './rankers.ts';
import { formatEvaluation, formatRanking, utcDateTime } from './rca-report.ts';
import type { Ranking } from './ranking.ts';

export const RCA_USAGE = `usage:
  holdfast rca analyze <case-dir | data.csv> [--inject-time T] [--json] [--top N]
      rank the likely root-cause services of one recorded incident (wide CSV: time,<service>_<metric>,...)
      fault start: --inject-time (unix seconds or ISO time), else inject_time.txt beside the data, else detected
  holdfast rca analyze <directory of cases> [--json] [--detect]
      evaluate every case that has truth.json: AC@1, AC@3, Avg@5 for holdfast, N-sigma and BARO
      --detect ignores inject_time.txt and lets each method find the fault start itself`;

export interface RcaIo { out(text: string): void; err(text: string): void }

const defaultIo: RcaIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

function parseTime(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Number(text);
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

const json = (v: unknown) => `${JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 2)}\n`;

export async function runRcaCommand(argv: string[], io: RcaIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        'inject-time': { type: 'string' }, json: { type: 'boolean', default: false }, top: { type: 'string' },
        detect: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true, strict: true,
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n${RCA_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) { io.out(`${RCA_USAGE}\n`); return 0; }
  const [sub, target, ...extra] = positionals;
  if (sub !== 'analyze' || !target || extra.length) { io.err(`${RCA_USAGE}\n`); return 2; }
  const top = values.top === undefined ? 5 : Number(values.top);
  if (!Number.isInteger(top) || top < 1) { io.err('--top must be a positive integer\n'); return 2; }
  let injectTime: number | undefined;
  if (values['inject-time'] !== undefined) {
    injectTime = parseTime(values['inject-time']);
    if (injectTime === undefined) { io.err(`--inject-time: "${values['inject-time']}" is neither unix seconds nor an ISO time\n`); return 2; }
  }
  let isDir: boolean;
  try {
    isDir = (await stat(target)).isDirectory();
  } catch {
    io.err(`${target}: no such file or directory\n`);
    return 2;
  }
  try {
    if (!isDir || (await isCaseDir(target))) return await analyzeOne(target, { injectTime, top, json: values.json, detect: values.detect }, io);
    return await evaluateDir(target, { json: values.json, detect: values.detect }, io);
  } catch (err) {
    io.err(`holdfast rca: ${(err as Error).message}\n`);
    return 1;
  }
}

async function analyzeOne(target: string, opts: { injectTime?: number; top: number; json: boolean; detect: boolean }, io: RcaIo): Promise<number> {
  const c = await readCase(target);
  const given = opts.injectTime ?? (opts.detect ? undefined : c.injectTime);
  const source = opts.injectTime !== undefined ? '--inject-time' : 'inject_time.txt';
  const times = c.telemetry.series[0]?.timestamps ?? [];
  if (given !== undefined && times.length && (given <= times[0]! || given > times[times.length - 1]!)) {
    io.err(`warning: fault start ${utcDateTime(given)} is outside the data (${utcDateTime(times[0]!)} to ${utcDateTime(times[times.length - 1]!)}): no baseline or no fault window\n`);
  }
  const rankings: Record<string, Ranking> = {};
  for (const [name, rank] of Object.entries(RANKERS)) rankings[name] = rank(c.telemetry, given !== undefined ? { injectTime: given } : {});
  if (opts.json) {
    io.out(json({ case: c.id, dataFile: c.dataFile, ...(c.truth ? { truth: c.truth } : {}), rankings: Object.fromEntries(
      Object.entries(rankings).map(([m, r]) => [m, { ...r, ranked: r.ranked.slice(0, Math.max(opts.top, 10)) }]),
    ) }));
    return 0;
  }
  const truth = c.truth?.rootCauseService;
  const ours = rankings.holdfast!;
  const lines = [`${c.dataFile}: ${c.telemetry.series.length} metrics of ${new Set(c.telemetry.series.map((s) => s.service)).size} services`, ''];
  lines.push(formatRanking(ours, { top: opts.top, source, ...(truth !== undefined ? { truth } : {}) }));
  lines.push('');
  for (const [m, r] of Object.entries(rankings)) {
    if (m === 'holdfast') continue;
    const first = r.ranked[0];
    const at = truth !== undefined ? rankOf(r, truth) : undefined;
    lines.push(`${m} ranks first: ${first ? `${first.service} (${first.evidence[0]?.metric ?? 'no evidence'})` : 'nothing'}${truth !== undefined ? `; truth at #${at ?? '-'}` : ''}`);
  }
  io.out(`${lines.join('\n')}\n`);
  return 0;
}

async function evaluateDir(dir: string, opts: { json: boolean; detect: boolean }, io: RcaIo): Promise<number> {
  const dirs = await findCaseDirs(dir);
  if (!dirs.length) {
    io.err(`${dir}: no case directories (data.csv with truth.json) found\n`);
    return 2;
  }
  // one case in memory at a time: research sets run to hundreds of cases
  const outcomes: CaseOutcome[] = [];
  for (const d of dirs) {
    const c = await readCase(d);
    if (!c.truth) continue;
    const one: EvaluationCase = { id: c.id, telemetry: c.telemetry, truth: c.truth, ...(c.injectTime !== undefined ? { injectTime: c.injectTime } : {}) };
    outcomes.push(evaluateCase(one, RANKERS, { detect: opts.detect }));
  }
  const report = summarise(Object.keys(RANKERS), outcomes);
  const cases = outcomes;
  if (opts.json) {
    io.out(json({ directory: path.resolve(dir), detect: opts.detect, ...report }));
    return 0;
  }
  const origin = opts.detect ? 'fault start detected by each method' : 'fault start from inject_time.txt (detected where absent)';
  io.out(`${formatEvaluation(report, { title: `${cases.length} cases under ${dir}; ${origin}` })}\n`);
  return 0;
}
