// Watches the shop while a game day runs, once a second: the control role's alerts and root-cause findings,
// its autoscaler's decisions, the waiting room's state, the payments processes' provider failovers (from the
// change log) and the incidents, each new one a timeline event
// (printed as it is seen). Also the probes' measures: the shoppers' error ratio and p99 from the load
// generator's per-second points, the alerts firing, the orders still waiting for payment.
import type { SeriesPoint } from '../loadtest/index.ts';
import type { ProbeMeasure } from './experiment.ts';
import type { TimelineEvent } from './scorecard.ts';
import type { AlertView, ShopApi } from './shop-api.ts';

export class ShopObserver {
  readonly events: TimelineEvent[] = [];
  /** Load generator points with their epoch ms. */
  readonly points: { at: number; p: SeriesPoint }[] = [];
  /** Replicas per role as last read, and whether the waiting room queues. */
  readonly now: { replicas: Record<string, number>; queueing: boolean; firing: AlertView[]; errors: number } = { replicas: {}, queueing: false, firing: [], errors: 0 };
  readonly #api: ShopApi;
  readonly #since: () => number;
  readonly #print: (event: TimelineEvent) => void;
  readonly #seen = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #firstRoomReading = true;

  constructor(api: ShopApi, sinceMs: () => number, print: (event: TimelineEvent) => void) {
    this.#api = api;
    this.#since = sinceMs;
    this.#print = print;
  }

  add(event: TimelineEvent): void {
    this.events.push(event);
    this.#print(event);
  }

  #once(key: string, event: () => TimelineEvent): void {
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.add(event());
  }

  start(): void {
    this.#timer = setInterval(() => { void this.poll(); }, 1000);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    const api = this.#api;
    const recent = (iso: string) => Date.parse(iso) >= this.#since();
    try {
      await Promise.all([
        api.alerts().then((alerts) => {
          this.now.firing = alerts.filter((a) => a.state === 'firing');
          for (const a of alerts.filter((x) => recent(x.since))) {
            this.#once(`alert:${a.id}`, () => ({ at: Date.parse(a.since), kind: 'alert', label: `alert ${a.name} (${a.service}): ${a.summary}` }));
          }
        }),
        api.findings().then((findings) => {
          for (const f of findings.filter((x) => recent(x.createdAt))) {
            const top = f.causes[0];
            this.#once(`finding:${f.id}`, () => ({
              at: Date.parse(f.createdAt), kind: 'finding', component: top?.candidate ?? 'none', networkInvolved: f.network.involved,
              label: `root cause ${top?.candidate ?? 'none'}; ${f.network.text}`,
            }));
          }
        }),
        api.incidents().then((incidents) => {
          for (const i of incidents.filter((x) => recent(x.triggeredAt))) {
            this.#once(`incident:${i.id}`, () => ({ at: Date.parse(i.triggeredAt), kind: 'incident', label: `incident: ${i.title}` }));
          }
        }),
        api.scaling().then((scaling) => {
          for (const role of scaling.roles) {
            this.now.replicas[role.role] = role.current;
            for (const d of role.decisions.filter((x) => x.applied && x.desired !== x.current && recent(x.at))) {
              const out = d.desired > d.current;
              this.#once(`scale:${role.role}:${d.at}`, () => ({ at: Date.parse(d.at), kind: out ? 'scale-out' : 'scale-in', label: `${out ? 'scale-out' : 'scale-in'}: ${role.role} ${d.current} → ${d.desired}` }));
            }
          }
        }),
        api.changes(this.#since(), ['payments.failover', 'payments.failback']).then((changes) => {
          for (const c of changes) {
            const kind = c.kind === 'payments.failover' ? 'failover' : 'failback';
            this.#once(`change:${c.id}`, () => ({ at: Date.parse(c.at), kind, label: `${kind} (${c.source}): ${String(c.details.from)} → ${String(c.details.to)}, ${String(c.details.reason)}` }));
          }
        }),
        api.waitingRoom().then((room) => {
          const queueing = room.state !== 'not_queueing' || room.auto?.engaged === true;
          if (this.#firstRoomReading) {
            // queueing since before the experiment (the warm-up): a state, not an action of the experiment's time
            this.#firstRoomReading = false;
            if (queueing) this.add({ at: this.#since(), kind: 'waiting-room', label: `waiting room queueing since before the experiment (${room.state})` });
          } else if (queueing && !this.now.queueing) this.add({ at: Date.now(), kind: 'waiting-room', label: `waiting room engaged (${room.state}${room.auto ? `: ${room.auto.reason}` : ''})` });
          if (!queueing && this.now.queueing) this.add({ at: Date.now(), kind: 'waiting-room-stopped', label: 'waiting room stopped queueing' });
          this.now.queueing = queueing;
        }),
      ].map((p) => p.catch(() => { this.now.errors++; })));
    } finally {
      this.#polling = false;
    }
  }

  /** A probe's measure now; windowed measures look back `windowSec` over the load's points. */
  async measure(measure: ProbeMeasure, windowSec: number, ordersUnsettled: () => Promise<number>): Promise<number | null> {
    switch (measure) {
      case 'error-ratio':
      case 'latency-p99-ms': {
        // the schedule's seconds only: after it (the graceful stop) nobody new arrives, and shoppers still
        // queued in a waiting room are not responses
        const scheduled = this.points.filter((x) => x.p.planned > 0);
        const last = scheduled.at(-1);
        if (!last) return null;
        const from = last.p.t + last.p.width - windowSec;
        const window = scheduled.filter((x) => x.p.t >= from).map((x) => x.p);
        const responses = window.reduce((n, p) => n + p.responses, 0);
        if (!responses) return null;
        if (measure === 'error-ratio') return window.reduce((n, p) => n + p.errors.status + p.errors.timeout + p.errors.connection, 0) / responses;
        // the highest of the seconds' p99s: a bound on the window's p99, never below it
        return Math.max(...window.map((p) => p.p99 ?? 0));
      }
      case 'alerts-firing':
        await this.poll();
        return this.now.firing.length;
      case 'orders-unsettled':
        return ordersUnsettled();
    }
  }
}
