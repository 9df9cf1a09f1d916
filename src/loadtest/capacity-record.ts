// `holdfast loadtest capacity --record`: the capacity report sent to the target shop's history
// (POST /api/ops/capacity, admin token), which answers with the run as stored and its comparison with the
// previous comparable run. The load tester stays a client of the shop: it records over HTTP, so a CI job
// can record into a staging shop it reaches only by URL.
import { replicasChangedText, type CapacityReport } from './capacity-finder.ts';
import { parsePositiveInt } from './load-units.ts';

export interface RecordedRun {
  id: number;
  recordedAt: string;
  version: string;
  replicas: number;
  roleReplicas: Record<string, number> | null;
  comparison: { regression: boolean; message: string } | null;
}

export class RecordError extends Error {}

/** --replicas: a number (the storefront's replicas) or role=n pairs ("storefront=2,payments=3"). */
export function parseReplicasFlag(raw: string): Record<string, number> {
  if (/^\s*\d+\s*$/.test(raw)) return { storefront: parsePositiveInt(raw.trim(), '--replicas') };
  const out: Record<string, number> = {};
  for (const part of raw.split(',')) {
    const m = /^\s*([a-z][a-z0-9-]*)\s*=\s*(\S+)\s*$/.exec(part);
    if (!m) throw new Error(`--replicas: "${raw}" is a number (the storefront's replicas) or role=n pairs, e.g. storefront=2,payments=3`);
    out[m[1]!] = parsePositiveInt(m[2]!, `--replicas ${m[1]}`);
  }
  return out;
}

/**
 * The replicas a run is recorded with: those given (--replicas) over those the report counted; the
 * storefront's assumed 1 when neither knows it (`assumed` says so).
 */
export function recordedReplicas(report: CapacityReport, given: Record<string, number> = {}): { replicas: { storefront: number } & Record<string, number>; assumed: boolean; warning: string | null } {
  const known: Record<string, number> = { ...report.replicas, ...given };
  const changed = replicasChangedText(report.replicasChanged);
  return {
    replicas: { ...known, storefront: known.storefront ?? 1 }, assumed: known.storefront === undefined,
    warning: changed && `the replicas changed during the run (${changed}): the run is recorded with ${Object.keys(given).length ? 'those given (--replicas) over ' : ''}those in force while its sustainable rate was measured, and a note saying so`,
  };
}

/**
 * The run as the shop's history takes it. `replicas`: each role's replicas during the run (the report's
 * count, or --replicas); the storefront's is the one every run has.
 */
export function capacityRunBody(report: CapacityReport, replicas: { storefront: number } & Record<string, number>) {
  const b = report.bottleneck;
  return {
    scenario: report.scenario, target: report.target, slo: report.slo, stepDurationSec: report.stepDurationSec,
    sustainableRate: report.sustainableRate, sustainableRequestsPerSec: report.sustainableRate === null ? null : report.sustainableRequestsPerSec,
    breakingRate: report.breakingRate, bottleneck: b ? { kind: b.kind, component: b.component, message: b.message } : null,
    replicas: replicas.storefront, roleReplicas: replicas, notes: report.notes, deployment: report.deployment, report: { schema: 'holdfast-capacity/1', ...report },
  };
}

export async function recordCapacity(targetUrl: string, adminToken: string, body: ReturnType<typeof capacityRunBody>): Promise<RecordedRun> {
  const url = `${targetUrl.replace(/\/+$/, '')}/api/ops/capacity`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body), signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new RecordError(`could not record the run at ${url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
  }
  const text = await res.text();
  if (res.status !== 201) {
    let detail = text.slice(0, 500);
    try { const e = JSON.parse(text) as { error?: { code?: string; message?: string } }; if (e.error) detail = `${e.error.code}: ${e.error.message}`; } catch { /* not JSON: the text */ }
    throw new RecordError(`could not record the run at ${url}: HTTP ${res.status} ${detail}`);
  }
  return JSON.parse(text) as RecordedRun;
}
