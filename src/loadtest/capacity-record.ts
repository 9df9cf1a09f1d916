// `holdfast loadtest capacity --record`: the capacity report sent to the target shop's history
// (POST /api/ops/capacity, admin token), which answers with the run as stored and its comparison with the
// previous comparable run. The load tester stays a client of the shop: it records over HTTP, so a CI job
// can record into a staging shop it reaches only by URL.
import type { CapacityReport } from './capacity-finder.ts';

export interface RecordedRun {
  id: number;
  recordedAt: string;
  version: string;
  replicas: number;
  comparison: { regression: boolean; message: string } | null;
}

export class RecordError extends Error {}

export function capacityRunBody(report: CapacityReport, replicas: number) {
  const b = report.bottleneck;
  return {
    scenario: report.scenario, target: report.target, slo: report.slo, stepDurationSec: report.stepDurationSec,
    sustainableRate: report.sustainableRate, sustainableRequestsPerSec: report.sustainableRate === null ? null : report.sustainableRequestsPerSec,
    breakingRate: report.breakingRate, bottleneck: b ? { kind: b.kind, component: b.component, message: b.message } : null,
    replicas, deployment: report.deployment, report: { schema: 'holdfast-capacity/1', ...report },
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
