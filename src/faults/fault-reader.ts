// The cached view of active faults that injecting code consults on its hot path (a Map lookup, no I/O).
// Refreshed every refreshMs (default 500 ms) and immediately on NOTIFY, so a fault set through any
// process takes effect everywhere within a second. Stored rows that no longer match their schema (or name
// an unknown fault) are ignored, never half-applied.
import pg from 'pg';
import type { Logger } from '../platform/observability/logger.ts';
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
  let listenClient: pg.Client | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
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

  const tick = () => {
    refresh().catch((err) => opts.logger?.warn({ err }, 'fault refresh failed; keeping the last known faults'));
  };

  const listen = async () => {
    if (!opts.databaseUrl || stopped) return;
    const client = new pg.Client({ connectionString: opts.databaseUrl, application_name: 'holdfast-faults' });
    const retry = () => {
      if (listenClient === client) listenClient = undefined;
      client.end().catch(() => {});
      if (!stopped && !reconnectTimer) {
        reconnectTimer = setTimeout(() => { reconnectTimer = undefined; void listen(); }, 2000);
        reconnectTimer.unref();
      }
    };
    client.on('error', retry);
    client.on('notification', () => tick());
    try {
      await client.connect();
      await client.query(`LISTEN ${FAULTS_CHANNEL}`);
      if (stopped) { await client.end(); return; }
      listenClient = client;
      tick(); // changes made while we were not listening
    } catch (err) {
      opts.logger?.warn({ err }, 'fault LISTEN connection failed; polling only until it reconnects');
      retry();
    }
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
      await listen();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      const client = listenClient;
      listenClient = undefined;
      await client?.end().catch(() => {});
      await inFlight?.catch(() => {});
      listeners.clear();
    },
  };
}
