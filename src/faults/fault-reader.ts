// The cached view of active faults that injecting code consults on its hot path (a Map lookup, no I/O).
// Refreshed every refreshMs (default 500 ms) and immediately on NOTIFY, so a fault set through any
// process takes effect everywhere within a second. Stored rows that no longer match their schema (or name
// an unknown fault) are ignored, never half-applied. While the database cannot be read (an outage) the
// last known faults stay in force; polling and the LISTEN connection retry with backoff (at most 2 s
// apart), so both resume within seconds of the database's return.
import type pg from 'pg';
import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import type { Logger } from '../platform/observability/logger.ts';
import { FailureRun } from '../platform/observability/failure-run.ts';
import { notificationListener, type NotificationListener } from '../platform/db/notification-listener.ts';
import { listActiveFaults, FAULTS_CHANNEL } from './fault-store.ts';
import { faultDefinition, validateFaultParams } from './fault-registry.ts';
import type { FaultName, FaultParams } from './fault-catalog.ts';

export interface ActiveFault { name: string; params: Record<string, unknown>; updatedAt: string; expiresAt: string | null }

export type FaultSnapshot = ReadonlyMap<string, ActiveFault>;

export interface FaultReader {
  /** The fault's parameters when it is active, else undefined. */
  get<N extends FaultName>(name: N): FaultParams<N> | undefined;
  snapshot(): FaultSnapshot;
  /** Called after every refresh (changed or not) with the current snapshot. Returns an unsubscribe. */
  subscribe(listener: (snapshot: FaultSnapshot) => void): () => void;
  /** Reads the table now. */
  refresh(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface FaultReaderOptions {
  pool: pg.Pool;
  /** When given, a dedicated connection LISTENs for changes (faster than the poll). */
  databaseUrl?: string | undefined;
  refreshMs?: number;
  logger?: Logger | undefined;
}

export function createFaultReader(opts: FaultReaderOptions): FaultReader {
  const refreshMs = opts.refreshMs ?? 500;
  let current = new Map<string, ActiveFault>();
  const listeners = new Set<(s: FaultSnapshot) => void>();
  let timer: NodeJS.Timeout | undefined;
  let listener: NotificationListener | undefined;
  let stopped = true;
  let inFlight: Promise<void> | undefined;
  let again = false;
  const warned = new Set<string>();

  const load = async () => {
    const rows = await listActiveFaults(opts.pool);
    const next = new Map<string, ActiveFault>();
    for (const row of rows) {
      const def = faultDefinition(row.name);
      const checked = def ? validateFaultParams(def, row.params) : undefined;
      if (!checked?.ok) {
        const why = `${row.name}@${row.updatedAt}`;
        if (!warned.has(why)) {
          warned.add(why);
          opts.logger?.warn({ fault: row.name, problems: checked && !checked.ok ? checked.problems : ['unknown fault'] }, 'ignoring stored fault that does not match its schema');
        }
        continue;
      }
      next.set(row.name, { ...row, params: checked.params });
    }
    const before = JSON.stringify([...current]);
    current = next;
    if (before !== JSON.stringify([...next])) opts.logger?.info({ faults: Object.fromEntries([...next].map(([k, v]) => [k, v.params])) }, 'active faults changed');
    for (const l of listeners) {
      try { l(current); } catch (err) { opts.logger?.error({ err }, 'fault listener failed'); }
    }
  };

  // One read at a time; a request for a refresh during a read schedules exactly one more.
  const refresh = (): Promise<void> => {
    if (inFlight) { again = true; return inFlight; }
    inFlight = (async () => {
      try {
        do { again = false; await load(); } while (again && !stopped);
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  const newBackoff = () => new ExponentialBackoff({ initialDelay: 250, maxDelay: 2000 });
  const silent = { warn() {}, info() {} };
  const refreshFailures = new FailureRun(opts.logger ?? silent, 'fault refresh');
  let pollBackoff: IBackoff<unknown> | undefined;
  let nextPollAt = 0;
  const tick = () => {
    // After a failed read the next one waits out a growing pause instead of the fixed interval.
    if (Date.now() < nextPollAt) return;
    refresh().then(() => {
      pollBackoff = undefined;
      nextPollAt = 0;
      refreshFailures.succeeded('works again');
    }, (err) => {
      pollBackoff = pollBackoff ? pollBackoff.next(undefined) : newBackoff().next();
      nextPollAt = Date.now() + pollBackoff.duration;
      refreshFailures.failed(err, 'keeping the last known faults');
    });
  };


  return {
    get<N extends FaultName>(name: N) {
      return current.get(name)?.params as FaultParams<N> | undefined;
    },
    snapshot: () => current,
    subscribe(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
    refresh,
    async start() {
      stopped = false;
      await refresh();
      timer = setInterval(tick, refreshMs);
      timer.unref();
      if (opts.databaseUrl) {
        listener = notificationListener({
          url: opts.databaseUrl, channel: FAULTS_CHANNEL, applicationName: 'holdfast-faults', task: 'fault LISTEN connection', logger: opts.logger,
          onNotification: () => tick(),
          // changes made while we were not listening
          onListening: () => { nextPollAt = 0; tick(); },
        });
        await listener.start();
      }
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await listener?.stop();
      listener = undefined;
      await inFlight?.catch(() => {});
      listeners.clear();
    },
  };
}
