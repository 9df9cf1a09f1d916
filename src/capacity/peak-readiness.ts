// Peak readiness: the latest measured capacity per replica × the most replicas the scaling policy allows
// (both of the role the run's bottleneck was in), against a forecast peak; the waiting-room limits that follow from that capacity; the first bottleneck;
// and a verdict with its reasons.
import type { TargetsFromCapacity } from '../autoscaler/index.ts';
import type { CapacityRun } from './capacity-history.ts';

/** Cloudflare's advice for a waiting room: admit about 75% of what the shop serves well. */
export const WAITING_ROOM_SHARE = 0.75;
/** A measurement older than this at the peak is called stale in the notes. */
export const STALE_AFTER_DAYS = 30;

export interface ScalingLimits {
  /** The role whose replicas carry the measured capacity (the storefront, or payments when they bottleneck). */
  role: string;
  maxReplicas: number;
  /** On one machine (`holdfast start --autoscale`) the role runs at most this many. */
  localMaxReplicas: number;
  /** Replicas held at least at the peak by the policy's scheduled pre-scaling windows (1 when none is open). */
  scheduledMinReplicas: number;
  /** The names of the windows open at the peak. */
  scheduledWindows: string[];
}

export interface WaitingRoomLimits {
  newUsersPerMinute: number;
  totalActiveUsers: number;
  sessionDurationSeconds: number;
  basis: string;
}

export interface PeakReadiness {
  verdict: 'ready' | 'not ready';
  reasons: string[];
  peakJourneysPerSec: number;
  at: string;
  capacity: {
    runId: number; recordedAt: string; scenario: string; target: string;
    /** The role the capacity per replica is judged by, and its replicas in the run. */
    measuredRole: string; measuredReplicas: number;
    sustainableRate: number | null; ratePerReplica: number | null; regression: boolean;
  } | null;
  scaling: ScalingLimits & { projectedJourneysPerSec: number | null; replicasNeeded: number | null; headroom: number | null };
  waitingRoom: WaitingRoomLimits | null;
  firstBottleneck: string | null;
  /** The storefront's request-rate target the autoscaler takes from this run with HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY (or why none). */
  autoscalerTarget: TargetsFromCapacity | null;
  notes: string[];
}

const fmt = (v: number) => (v >= 100 ? String(Math.round(v)) : String(Number(v.toFixed(v >= 10 ? 1 : 2))));

/**
 * The waiting room's limits for a shop that serves `journeysPerSec` well: new shoppers at 75% of it (one
 * journey each), and as many in the shop at once as arrive during a session (Little's law: each admitted
 * shopper holds a place for sessionDurationSeconds after their last request).
 */
export function waitingRoomLimitsFor(journeysPerSec: number, sessionDurationSeconds: number): WaitingRoomLimits {
  const newUsersPerMinute = Math.max(1, Math.floor(journeysPerSec * WAITING_ROOM_SHARE * 60));
  const totalActiveUsers = Math.max(newUsersPerMinute, Math.floor((newUsersPerMinute * sessionDurationSeconds) / 60));
  return {
    newUsersPerMinute, totalActiveUsers, sessionDurationSeconds,
    basis: `${WAITING_ROOM_SHARE * 100}% of ${fmt(journeysPerSec)} journeys/s (one journey per shopper), each holding a place for ${sessionDurationSeconds} s`,
  };
}

/** The role a run's bottleneck was in. */
export function roleForBottleneck(run: Pick<CapacityRun, 'bottleneck'> | null): 'storefront' | 'payments' {
  return run?.bottleneck?.component === 'payments' ? 'payments' : 'storefront';
}

export interface RolePerReplica {
  /** The role whose replicas carry the run's capacity: the bottleneck's, when the run recorded that role's replicas. */
  role: 'storefront' | 'payments';
  /** That role's replicas in the run. */
  replicas: number;
  /** The sustainable rate ÷ those replicas (null: no sustainable rate). */
  journeysPerSec: number | null;
  /** Why the run is judged by the storefront although its bottleneck was elsewhere (null: it is not). */
  fallback: string | null;
}

/**
 * A run's capacity per replica of the role that carries it. The rate is divided by the replicas of the
 * same role whose maximum it is multiplied by: a run bound by payments on 2 payments replicas and 1
 * storefront sustains its rate per 2 payments replicas, not per storefront. A run that did not record
 * that role's replicas (recorded before replicas were kept per role, or the count was not known) is judged
 * by the storefront's, and says so.
 */
export function capacityPerReplica(run: CapacityRun): RolePerReplica {
  const bottleneckRole = roleForBottleneck(run);
  const recorded = bottleneckRole === 'storefront' ? run.replicas : run.roleReplicas?.[bottleneckRole];
  const role = recorded === undefined ? 'storefront' : bottleneckRole;
  const replicas = Math.max(1, recorded ?? run.replicas);
  return {
    role, replicas, journeysPerSec: run.sustainableRate === null ? null : run.sustainableRate / replicas,
    fallback: role === bottleneckRole ? null
      : `run #${run.id}'s bottleneck is in ${bottleneckRole}, but it did not record the ${bottleneckRole} replicas${run.roleReplicas ? '' : ' (recorded before replicas were kept per role)'}: `
        + `judged by its ${run.replicas} storefront replica(s) and the storefront's maximum instead; record a run again for the ${bottleneckRole} role's own figure`,
  };
}

export function peakReadiness(input: {
  latest: CapacityRun | null;
  peakJourneysPerSec: number;
  at: Date;
  now: Date;
  limits: ScalingLimits;
  sessionDurationSeconds: number;
  autoscalerTarget?: TargetsFromCapacity | null;
}): PeakReadiness {
  const { latest, peakJourneysPerSec: peak, limits } = input;
  const reasons: string[] = [];
  const notes: string[] = [];
  const measured = latest ? capacityPerReplica(latest) : null;
  const perReplica = measured?.journeysPerSec ?? null;
  const projected = perReplica === null ? null : perReplica * limits.maxReplicas;
  const replicasNeeded = perReplica ? Math.ceil(peak / perReplica) : null;
  const firstBottleneck = latest?.bottleneck?.message ?? null;
  let ready = true;
  if (!latest) {
    ready = false;
    reasons.push('no capacity has been recorded: run `holdfast loadtest capacity --record` against this shop');
  } else if (perReplica === null || perReplica === 0) {
    ready = false;
    reasons.push(`the latest capacity run (#${latest.id}) found no sustainable rate: the SLO broke at every rate tried${firstBottleneck ? ` (${firstBottleneck})` : ''}`);
  } else if (projected! < peak) {
    ready = false;
    reasons.push(`the peak of ${fmt(peak)} journeys/s is above the capacity at full scale: ${fmt(perReplica)} journeys/s per ${limits.role} replica × ${limits.maxReplicas} replicas at most = ${fmt(projected!)} journeys/s`
      + ` (${replicasNeeded} replicas would be needed)`);
    reasons.push(`first bottleneck: ${firstBottleneck ?? 'none identified'}`);
  } else {
    reasons.push(`${fmt(perReplica)} journeys/s per ${limits.role} replica × ${limits.maxReplicas} replicas at most = ${fmt(projected!)} journeys/s covers the peak of ${fmt(peak)} journeys/s with ${replicasNeeded} replicas`);
  }
  if (latest?.comparison?.regression) notes.push(`the latest run is a regression (${latest.comparison.message.replace(/^regression: /, '')})`);
  if (measured?.fallback) notes.push(measured.fallback);
  for (const n of latest?.notes ?? []) notes.push(`run #${latest!.id}: ${n}`);
  if (latest) {
    const ageDays = (input.at.getTime() - Date.parse(latest.recordedAt)) / 86_400_000;
    if (ageDays > STALE_AFTER_DAYS) notes.push(`the capacity was measured ${Math.round(ageDays)} days before the peak: measure again closer to it`);
    if (latest.bottleneck?.kind === 'db-pool') notes.push('the bottleneck is a database pool: each replica brings its own pool, but all of them share one PostgreSQL server and the connection budget of the scaling policy');
  }
  if (limits.localMaxReplicas < limits.maxReplicas) notes.push(`on one machine (holdfast start --autoscale) the ${limits.role} role runs at most ${limits.localMaxReplicas} replicas`);
  if (replicasNeeded !== null && limits.scheduledMinReplicas < Math.min(replicasNeeded, limits.maxReplicas)) {
    notes.push(limits.scheduledWindows.length
      ? `the pre-scaling window(s) open at the peak (${limits.scheduledWindows.join(', ')}) hold ${limits.scheduledMinReplicas} replicas; the autoscaler must add the rest as the surge arrives`
      : `no pre-scaling window is open at the peak: the autoscaler starts from its minimum and adds replicas as the surge arrives (a schedule in the scaling policy pre-scales)`);
  }
  return {
    verdict: ready ? 'ready' : 'not ready', reasons, peakJourneysPerSec: peak, at: input.at.toISOString(),
    capacity: latest && measured ? {
      runId: latest.id, recordedAt: latest.recordedAt, scenario: latest.scenario, target: latest.target, measuredRole: measured.role, measuredReplicas: measured.replicas,
      sustainableRate: latest.sustainableRate, ratePerReplica: perReplica, regression: latest.comparison?.regression ?? false,
    } : null,
    scaling: { ...limits, projectedJourneysPerSec: projected, replicasNeeded, headroom: projected === null ? null : projected / peak },
    waitingRoom: projected ? waitingRoomLimitsFor(projected, input.sessionDurationSeconds) : null,
    firstBottleneck, autoscalerTarget: input.autoscalerTarget ?? null, notes,
  };
}

export function formatPeakReadiness(r: PeakReadiness): string {
  const lines = [`peak readiness for ${fmt(r.peakJourneysPerSec)} journeys/s at ${r.at}: ${r.verdict.toUpperCase()}`];
  for (const reason of r.reasons) lines.push(`  ${r.verdict === 'ready' ? 'because' : 'why'}: ${reason}`);
  if (r.capacity) {
    lines.push(`measured: run #${r.capacity.runId} (${r.capacity.recordedAt}, ${r.capacity.scenario} against ${r.capacity.target}): `
      + `${r.capacity.sustainableRate === null ? 'no sustainable rate' : `${fmt(r.capacity.sustainableRate)} journeys/s`} with ${r.capacity.measuredReplicas} ${r.capacity.measuredRole} replica(s)`);
  }
  const s = r.scaling;
  lines.push(`scaling: ${s.role} up to ${s.maxReplicas} replicas (policy)${s.projectedJourneysPerSec === null ? '' : ` → ${fmt(s.projectedJourneysPerSec)} journeys/s, headroom ×${fmt(s.headroom ?? 0)}`}`);
  lines.push(`first bottleneck: ${r.firstBottleneck ?? 'none identified'}`);
  if (r.waitingRoom) {
    lines.push(`waiting room: newUsersPerMinute ${r.waitingRoom.newUsersPerMinute}, totalActiveUsers ${r.waitingRoom.totalActiveUsers} (${r.waitingRoom.basis})`);
  }
  if (r.autoscalerTarget) lines.push(`autoscaler (with HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY=true): ${r.autoscalerTarget.message}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
