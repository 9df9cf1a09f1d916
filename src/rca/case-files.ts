// Reading recorded cases from disk: a case directory holds data.csv, and optionally inject_time.txt
// (unix seconds) and truth.json (root_cause_service, fault, split, ...).
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { readWideCsv } from './csv-reader.ts';
import type { CaseTruth } from './evaluation.ts';
import type { Telemetry } from './time-series.ts';

export interface RecordedCase {
  id: string;
  dir: string;
  dataFile: string;
  telemetry: Telemetry;
  injectTime?: number;
  truth?: CaseTruth;
}

export async function readTelemetryFile(file: string): Promise<Telemetry> {
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  return readWideCsv(rl);
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

export async function readInjectTime(file: string): Promise<number | undefined> {
  if (!(await exists(file))) return undefined;
  const v = Number((await readFile(file, 'utf8')).trim().split(/\s+/)[0]);
  return Number.isFinite(v) ? v : undefined;
}

export async function readTruth(file: string): Promise<CaseTruth | undefined> {
  if (!(await exists(file))) return undefined;
  const j = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  const svc = j.root_cause_service ?? j.rootCauseService;
  if (typeof svc !== 'string') return undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const truth: CaseTruth = { rootCauseService: svc };
  const fault = str(j.fault);
  const split = str(j.split);
  const scenario = str(j.scenario);
  if (fault) truth.fault = fault;
  if (split) truth.split = split;
  if (scenario) truth.scenario = scenario;
  return truth;
}

/** A case from a case directory or from a data.csv (whose directory may hold the other files). */
export async function readCase(target: string): Promise<RecordedCase> {
  const isDir = (await stat(target)).isDirectory();
  const dir = isDir ? target : path.dirname(target);
  const dataFile = isDir ? path.join(target, 'data.csv') : target;
  const telemetry = await readTelemetryFile(dataFile);
  const injectTime = await readInjectTime(path.join(dir, 'inject_time.txt'));
  const truth = await readTruth(path.join(dir, 'truth.json'));
  return {
    id: path.basename(dir), dir, dataFile, telemetry,
    ...(injectTime !== undefined ? { injectTime } : {}), ...(truth ? { truth } : {}),
  };
}

/** True when the directory is itself a case (holds data.csv). */
export async function isCaseDir(dir: string): Promise<boolean> {
  return exists(path.join(dir, 'data.csv'));
}

/** Case directories (holding data.csv and truth.json) directly under, or nested below, a directory. */
export async function findCaseDirs(root: string, depth = 3): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, left: number) => {
    if (await isCaseDir(dir)) {
      if (await exists(path.join(dir, 'truth.json'))) out.push(dir);
      return;
    }
    if (left === 0) return;
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))) {
      await walk(path.join(dir, e.name), left - 1);
    }
  };
  await walk(root, depth);
  return out;
}
