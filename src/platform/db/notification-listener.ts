// A connection of its own that LISTENs on a PostgreSQL channel (NOTIFY), kept up through database
// restarts: a lost connection is re-opened with backoff (at most 2 s apart), logged once per run of
// failures (FailureRun), and `onListening` is called every time it listens again, so the owner can catch
// up on what it missed meanwhile. LISTEN is plumbing of the connection, not a query of a context.
import pg from 'pg';
import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import { FailureRun } from '../observability/failure-run.ts';
import type { Logger } from '../observability/logger.ts';

export interface NotificationListenerOptions {
  url: string;
  /** A fixed identifier (not user input): it is written into the LISTEN statement. */
  channel: string;
  applicationName: string;
  /** The task named in the log lines about the connection, e.g. "fault LISTEN connection". */
  task: string;
  logger?: Logger | undefined;
  onNotification(payload: string | undefined): void;
  /** Called once listening (and again after every reconnect). */
  onListening(): void;
}

export interface NotificationListener {
  start(): Promise<void>;
  stop(): Promise<void>;
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

export function notificationListener(opts: NotificationListenerOptions): NotificationListener {
  if (!CHANNEL.test(opts.channel)) throw new Error(`invalid LISTEN channel: ${opts.channel}`);
  const silent = { warn() {}, info() {} };
  const failures = new FailureRun(opts.logger ?? silent, opts.task);
  const newBackoff = () => new ExponentialBackoff({ initialDelay: 250, maxDelay: 2000 });
  let backoff: IBackoff<unknown> | undefined;
  let current: pg.Client | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let stopped = true;

  const listen = async () => {
    if (stopped) return;
    const client = new pg.Client({ connectionString: opts.url, application_name: opts.applicationName });
    let lost = false;
    const retry = (err?: unknown) => {
      if (lost) return;
      lost = true;
      if (current === client) current = undefined;
      client.end().catch(() => {});
      if (stopped || reconnectTimer) return;
      failures.failed(err ?? new Error('connection ended'), 'polling only until it reconnects');
      backoff = backoff ? backoff.next(undefined) : newBackoff().next();
      reconnectTimer = setTimeout(() => { reconnectTimer = undefined; void listen(); }, backoff.duration);
      reconnectTimer.unref();
    };
    // A lost connection (a database restart) may end with an error, or just end.
    client.on('error', retry);
    client.on('end', () => { if (!stopped) retry(); });
    client.on('notification', (n) => opts.onNotification(n.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${opts.channel}`);
      if (stopped) { lost = true; await client.end(); return; }
      current = client;
      backoff = undefined;
      failures.succeeded('listening again');
      opts.onListening();
    } catch (err) {
      retry(err);
    }
  };

  return {
    async start() {
      stopped = false;
      await listen();
    },
    async stop() {
      stopped = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      const client = current;
      current = undefined;
      await client?.end().catch(() => {});
    },
  };
}
