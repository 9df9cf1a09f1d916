// What the low-traffic detection tests share: the README's demo load (`holdfast loadtest mixed --rate 5`,
// spawned as a user runs it) and the first alert with a root-cause finding after a moment.
import assert from 'node:assert/strict';
import type { RoleDeployment } from './role-processes.ts';
import { spawnHoldfast, type HoldfastProcess } from './child-processes.ts';
import { firingAlerts, type FiringAlert } from './control-load.ts';
import { admin } from './shop.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `holdfast loadtest mixed --rate 5` against the storefront, as a user runs it. */
export function demoLoadtest(shop: RoleDeployment, durationSeconds: number, out?: string): HoldfastProcess {
  return spawnHoldfast(['loadtest', 'mixed', '--rate', '5', '--duration', `${durationSeconds}s`, '--target-url', shop.url, '--workers', '1', '--quiet',
    ...(out ? ['--out', out] : [])], {});
}

export async function finished(lt: HoldfastProcess): Promise<void> {
  const { code } = await lt.exited;
  // 0: thresholds met; 99: breached (a 2 s provider delay may breach the scenario's own thresholds)
  assert.ok(code === 0 || code === 99, `loadtest exited with ${code}:\n${lt.output().slice(-2000)}`);
}

export interface Finding { id: string; summary: string; causes: { candidate: string; score: number }[] }
export interface FirstFinding { alert: FiringAlert; finding: Finding; seconds: number }

/** The first alert raised after `since` that has a finding, with that finding (or undefined after the wait). */
export async function firstFinding(shop: RoleDeployment, since: number, waitMs: number): Promise<FirstFinding | undefined> {
  const deadline = since + waitMs;
  while (Date.now() < deadline) {
    const alerts = (await firingAlerts(shop)).filter((a) => Date.parse(a.since) >= since - 1000).sort((a, b) => a.since.localeCompare(b.since));
    const first = alerts[0];
    if (first?.rcaId) {
      const seconds = (Date.now() - since) / 1000;
      const rca = await admin(shop.opsUrl, shop.adminToken, 'GET', '/api/ops/rca');
      const finding = (rca.json.items as Finding[]).find((f) => f.id === first.rcaId);
      if (finding) return { alert: first, finding, seconds };
    }
    await sleep(250);
  }
  return undefined;
}

export function describeFinding(r: FirstFinding | undefined): string {
  if (!r) return 'no alert with a finding';
  // the alert's summary says which judge fired (`p50 over 10 s ... calls above`: the tail test; `over 30 s`: the pooled median)
  return `${r.alert.name} (${r.alert.service}: ${r.alert.summary}) after ${r.seconds.toFixed(1)} s; ranking ${r.finding.causes.slice(0, 4).map((c) => `${c.candidate} ${c.score}`).join(', ')}; ${r.finding.summary}`;
}
