// HTTP/1.1 for the load generator, written for it on node:net (docs/decisions/0010-loadtest-raw-socket-http-client.md):
// a pool of keep-alive connections per origin, one request at a time on each (no pipelining, so a slow
// response delays only its own request). A request's bytes are built once per distinct request and
// reused; plain-TCP responses are read into one buffer shared by every connection (no Buffer and no
// stream event per read) and parsed in place; timeouts are one sweep over the connections, not a timer
// per request. Only what a check or an extractor reads is copied out. Failures are sorted into the
// kinds the reports use.
import net from 'node:net';
import tls from 'node:tls';

export type FailureKind = 'timeout' | 'connection' | 'interrupted';

export interface Failure { kind: FailureKind; message: string }

export interface HttpOutcome {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text when it was asked for, else ''. */
  body: string;
  bytes: number;
  /** performance.now() when the response ended (or the request failed). */
  endedAt: number;
  failure?: Failure;
}

export interface HttpRequest {
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  readBody: boolean;
  /** Whether something (a check, an extractor) reads the response's headers. */
  readHeaders: boolean;
}

/** Error bodies are kept up to this size even when not asked for (they say why: {"error":{"code":"OUT_OF_STOCK"}}). */
const ERROR_BODY_BYTES = 4096;
const MAX_HEAD_BYTES = 64 * 1024;
const READ_BUFFER_BYTES = 64 * 1024;
/** How often deadlines are checked: a timeout fires within this much of its due time. */
const SWEEP_MS = 25;
/** An idle connection is reused for at most this long, and never within a second of the server's announced keep-alive timeout. */
const IDLE_REUSE_MS = 30_000;
const KEEP_ALIVE_MARGIN_MS = 1000;

const INTERRUPTED: Failure = { kind: 'interrupted', message: 'interrupted at the end of the run' };
/** Response headers by lower-cased name; null-prototype, so a header the target calls "constructor" or "__proto__" is only a header. */
const EMPTY_HEADERS: Record<string, string | string[] | undefined> = Object.freeze(Object.create(null));
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
const LF = 10;
const CR = 13;

function classifyFailure(err: unknown): Failure {
  const e = err as { code?: string; message?: string };
  const message = `${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`.slice(0, 200);
  return { kind: e.code === 'ETIMEDOUT' ? 'timeout' : 'connection', message };
}

/** A request's bytes and what they imply for the response. */
interface EncodedRequest {
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  bytes: Buffer;
  /** HEAD: the response has headers only. */
  headOnly: boolean;
  /** The request asked the server to close the connection after answering. */
  closes: boolean;
}

function encodeRequest(hostHeader: string, path: string, method: string, headers: Record<string, string>, body: string | undefined): EncodedRequest {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method)) throw new TypeError(`invalid HTTP method "${method.slice(0, 40)}"`);
  if (!/^[\x21-\x7e\x80-\xff]+$/.test(path)) throw new TypeError(`invalid request path "${path.slice(0, 80)}" (spaces and control characters must be percent-encoded)`);
  let head = `${method} ${path} HTTP/1.1\r\n`;
  let hasHost = false;
  let closes = false;
  for (const name of Object.keys(headers)) {
    const value = headers[name]!;
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'transfer-encoding') continue;
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) || /[\r\n\0]/.test(value)) throw new TypeError(`invalid header ${JSON.stringify(name).slice(0, 60)}`);
    if (lower === 'host') hasHost = true;
    if (lower === 'connection' && /\bclose\b/i.test(value)) closes = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!hasHost) head = head.replace('\r\n', `\r\nhost: ${hostHeader}\r\n`);
  const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
  if (payload !== undefined || METHODS_WITH_BODY.has(method)) head += `content-length: ${payload?.length ?? 0}\r\n`;
  head += '\r\n';
  const headBytes = Buffer.from(head, 'latin1');
  return {
    method, headers, body, headOnly: method === 'HEAD', closes,
    bytes: payload === undefined ? headBytes : Buffer.concat([headBytes, payload]),
  };
}

/**
 * One request and its outcome in a single object, which is also what the caller receives: at tens of
 * thousands of requests per second, per-request allocations are what the garbage collector spends its
 * time on. Headers stay one latin1 string until something reads them.
 */
class Exchange implements HttpOutcome {
  status = 0;
  bytes = 0;
  endedAt = 0;
  failure: Failure | undefined = undefined;
  rawHeaders: string | undefined = undefined;
  chunks: Buffer[] | undefined;
  readonly request: EncodedRequest;
  readonly readBody: boolean;
  readonly readHeaders: boolean;
  readonly timeoutMs: number;
  readonly deadline: number;
  private parsedHeaders: Record<string, string | string[] | undefined> | undefined;
  private text: string | undefined;
  private done: ((outcome: HttpOutcome) => void) | undefined;

  constructor(request: EncodedRequest, req: HttpRequest, now: number, done: (outcome: HttpOutcome) => void) {
    this.request = request;
    this.readBody = req.readBody;
    this.readHeaders = req.readHeaders;
    this.timeoutMs = req.timeoutMs;
    this.deadline = now + req.timeoutMs;
    this.done = done;
    if (req.readBody) this.chunks = [];
  }

  get headers(): Record<string, string | string[] | undefined> {
    if (this.parsedHeaders === undefined) {
      const raw = this.rawHeaders;
      if (raw === undefined) return EMPTY_HEADERS;
      const out: Record<string, string | string[] | undefined> = Object.create(null);
      for (const line of raw.split('\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const key = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        const prev = out[key];
        out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
      }
      this.parsedHeaders = out;
    }
    return this.parsedHeaders;
  }

  get body(): string {
    if (this.text === undefined) {
      const c = this.chunks;
      this.text = !c || this.failure ? '' : c.length === 1 ? c[0]!.toString('utf8') : Buffer.concat(c).toString('utf8');
    }
    return this.text;
  }

  onBody(buf: Buffer, start: number, length: number): void {
    this.bytes += length;
    if (this.chunks !== undefined && (this.readBody || this.bytes <= ERROR_BODY_BYTES)) this.chunks.push(Buffer.copyBytesFrom(buf, start, length));
  }

  finish(failure: Failure | undefined, now = performance.now()): void {
    const done = this.done;
    if (done === undefined) return;
    this.done = undefined;
    this.failure = failure;
    this.endedAt = now;
    done(this);
  }
}

// Where a connection is in reading its response.
const HEAD = 0;
const FIXED_BODY = 1;
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const CHUNK_END = 4;
const TRAILERS = 5;
const UNTIL_CLOSE = 6;
const COMPLETE = 7;

class ProtocolError extends Error {}

/** "name" as lowercase ASCII codes, to compare header names without making strings (a letter or '-' | 0x20 is its lowercase). */
const codes = (name: string) => Array.from(name, (c) => c.charCodeAt(0));
const CONTENT_LENGTH = codes('content-length');
const TRANSFER_ENCODING = codes('transfer-encoding');
const CONNECTION = codes('connection');
const KEEP_ALIVE = codes('keep-alive');
const CLOSE = codes('close');
const TIMEOUT_IS = Buffer.from('timeout=', 'latin1');

function nameIs(buf: Buffer, start: number, end: number, name: number[]): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if ((buf[start + i]! | 0x20) !== name[i]) return false;
  return true;
}

function trimmedLatin1(buf: Buffer, start: number, end: number): string {
  return buf.toString('latin1', start, end).trim().toLowerCase();
}

/** Whether a Connection header's value says close, read from its bytes in the common cases. */
function saysClose(buf: Buffer, start: number, end: number, otherwise: boolean): boolean {
  while (start < end && (buf[start] === 0x20 || buf[start] === 0x09)) start++;
  while (end > start && (buf[end - 1] === 0x20 || buf[end - 1] === 0x09)) end--;
  if (nameIs(buf, start, end, CLOSE)) return true;
  if (nameIs(buf, start, end, KEEP_ALIVE)) return false;
  const value = trimmedLatin1(buf, start, end);
  return value.includes('close') ? true : value.includes('keep-alive') ? false : otherwise;
}

/** The `timeout=` of a Keep-Alive header's value, in ms (0 when absent). */
function keepAliveTimeoutMs(buf: Buffer, start: number, end: number): number {
  const at = buf.indexOf(TIMEOUT_IS, start);
  if (at < 0 || at + TIMEOUT_IS.length >= end) return 0;
  let seconds = 0;
  for (let i = at + TIMEOUT_IS.length; i < end; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) break;
    seconds = seconds * 10 + c - 48;
  }
  return seconds * 1000;
}

class Connection {
  readonly socket: net.Socket;
  private readonly pool: OriginPool;
  exchange: Exchange | undefined = undefined;
  connected = false;
  closed = false;
  readonly openedAt: number;
  /** performance.now() after which this idle connection is not reused. */
  reuseUntil = 0;
  private error: Error | undefined;
  private state = HEAD;
  /** Bytes of a response head that arrived in more than one read. */
  private partialHead: Buffer | undefined;
  /** Body bytes still to come (content-length, or the current chunk). */
  private remaining = 0;
  private chunkSizeDigits = 0;
  private inChunkExtension = false;
  private trailerLineBytes = 0;
  private keepAlive = true;
  private serverKeepAliveMs = 0;

  constructor(pool: OriginPool, now: number) {
    this.pool = pool;
    this.openedAt = now;
    const { host, port } = pool;
    if (pool.secure) {
      this.socket = tls.connect({ host, port, ALPNProtocols: ['http/1.1'], ...(net.isIP(host) ? {} : { servername: host }) });
      this.socket.on('secureConnect', () => { this.connected = true; });
      this.socket.on('data', (chunk: Buffer) => this.onBytes(chunk, 0, chunk.length));
    } else {
      this.socket = net.connect({
        host, port,
        onread: { buffer: pool.client.readBuffer, callback: (n: number, buf: Uint8Array) => { this.onBytes(buf as Buffer, 0, n); return true; } },
      });
      this.socket.on('connect', () => { this.connected = true; });
    }
    this.socket.setNoDelay(true);
    this.socket.on('error', (err: Error) => { this.error ??= err; });
    this.socket.on('close', () => this.onClose());
  }

  send(exchange: Exchange): void {
    this.exchange = exchange;
    this.state = HEAD;
    this.keepAlive = !exchange.request.closes;
    this.serverKeepAliveMs = 0;
    this.socket.write(exchange.request.bytes);
  }

  /** Ends the connection; the request on it, if any, fails with `failure`. */
  destroy(failure: Failure | undefined): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
      this.pool.forget(this);
    }
    if (exchange !== undefined && failure !== undefined) exchange.finish(failure);
  }

  private onClose(): void {
    const exchange = this.exchange;
    if (exchange !== undefined && this.state === UNTIL_CLOSE && this.error === undefined) {
      // A response without a length ends when the server closes the connection.
      this.exchange = undefined;
      this.closed = true;
      this.pool.forget(this);
      exchange.finish(undefined);
      return;
    }
    const client = this.pool.client;
    this.destroy(client.aborting ? INTERRUPTED
      : this.error ? classifyFailure(this.error)
      : { kind: 'connection', message: 'the server closed the connection before the response ended' });
  }

  /** Up to `remaining` body bytes of a fixed-length body or a chunk; then on to `next`. */
  private readBody(exchange: Exchange, buf: Buffer, pos: number, end: number, next: number): number {
    const n = Math.min(this.remaining, end - pos);
    exchange.onBody(buf, pos, n);
    this.remaining -= n;
    if (this.remaining === 0) this.state = next;
    return pos + n;
  }

  private onBytes(buf: Buffer, start: number, end: number): void {
    let pos = start;
    try {
      while (pos < end) {
        const exchange = this.exchange;
        if (exchange === undefined) throw new ProtocolError('bytes arrived with no request outstanding');
        switch (this.state) {
          case HEAD: pos = this.readHead(exchange, buf, pos, end); break;
          case FIXED_BODY: pos = this.readBody(exchange, buf, pos, end, COMPLETE); break;
          case CHUNK_SIZE: pos = this.readChunkSize(buf, pos, end); break;
          case CHUNK_DATA: pos = this.readBody(exchange, buf, pos, end, CHUNK_END); break;
          case CHUNK_END: {
            const c = buf[pos++];
            if (c === LF) { this.state = CHUNK_SIZE; this.chunkSizeDigits = 0; this.inChunkExtension = false; } else if (c !== CR) throw new ProtocolError('no CRLF after a chunk');
            break;
          }
          case TRAILERS: {
            const c = buf[pos++];
            if (c === LF) {
              if (this.trailerLineBytes === 0) this.state = COMPLETE;
              this.trailerLineBytes = 0;
            } else if (c !== CR) this.trailerLineBytes++;
            break;
          }
          case UNTIL_CLOSE: exchange.onBody(buf, pos, end - pos); pos = end; break;
        }
        if (this.state === COMPLETE) this.complete(exchange, pos === end);
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.destroy({ kind: 'connection', message: `invalid HTTP response: ${err.message}` });
    }
  }

  /** Parses the status line and the headers that frame the body; returns where the body starts. */
  private readHead(exchange: Exchange, buf: Buffer, pos: number, end: number): number {
    let data = buf;
    let from = pos;
    let to = end;
    if (this.partialHead !== undefined) {
      data = Buffer.concat([this.partialHead, buf.subarray(pos, end)]);
      this.partialHead = undefined;
      from = 0;
      to = data.length;
    }
    // One pass over the head, line by line. The shared read buffer holds stale bytes past `to`: nothing
    // there is read, and a head not complete by `to` waits for the next read.
    let status = 0;
    let close = false;
    let contentLength = -1;
    let chunked = false;
    let headersStart = -1;
    let headersEnd = -1;
    let lineStart = from;
    while (headersEnd < 0) {
      let colon = -1;
      let i = lineStart;
      while (i < to && data[i] !== LF) {
        if (colon < 0 && data[i] === 0x3a) colon = i;
        i++;
      }
      if (i >= to) {
        if (to - from > MAX_HEAD_BYTES) throw new ProtocolError(`response head over ${MAX_HEAD_BYTES} bytes`);
        this.partialHead = Buffer.copyBytesFrom(data, from, to - from);
        return end;
      }
      const lineEnd = i > lineStart && data[i - 1] === CR ? i - 1 : i;
      if (headersStart < 0) {
        if (lineEnd - lineStart < 12 || data[lineStart] !== 0x48 || data[lineStart + 4] !== 0x2f || data[lineStart + 5] !== 0x31
          || data[lineStart + 6] !== 0x2e || data[lineStart + 8] !== 0x20) {
          throw new ProtocolError(`status line "${data.toString('latin1', lineStart, Math.min(lineEnd, lineStart + 40))}"`);
        }
        status = (data[lineStart + 9]! - 48) * 100 + (data[lineStart + 10]! - 48) * 10 + (data[lineStart + 11]! - 48);
        if (!(status >= 100 && status <= 999)) throw new ProtocolError('no status code');
        close = data[lineStart + 7] === 0x30; // HTTP/1.0 closes unless it says keep-alive
        headersStart = i + 1;
      } else if (lineEnd === lineStart) {
        headersEnd = lineStart;
      } else if (colon > lineStart) {
        if (nameIs(data, lineStart, colon, CONTENT_LENGTH)) {
          let n = 0;
          let digits = 0;
          for (let k = colon + 1; k < lineEnd; k++) {
            const c = data[k]!;
            if (c >= 48 && c <= 57) { n = n * 10 + c - 48; digits++; } else if (c !== 0x20 && c !== 0x09) throw new ProtocolError('bad content-length');
          }
          if (digits === 0 || (contentLength >= 0 && contentLength !== n)) throw new ProtocolError('bad content-length');
          contentLength = n;
        } else if (nameIs(data, lineStart, colon, TRANSFER_ENCODING)) {
          chunked = trimmedLatin1(data, colon + 1, lineEnd).endsWith('chunked');
        } else if (nameIs(data, lineStart, colon, CONNECTION)) {
          close = saysClose(data, colon + 1, lineEnd, close);
        } else if (nameIs(data, lineStart, colon, KEEP_ALIVE)) {
          this.serverKeepAliveMs = keepAliveTimeoutMs(data, colon + 1, lineEnd);
        }
      }
      lineStart = i + 1;
    }
    // Where the body starts in `buf`: a reassembled head ends with all of buf[pos, end).
    const bodyStart = end - (to - lineStart);
    // 1xx responses (e.g. 103 Early Hints) come before the answer.
    if (status < 200) return bodyStart;
    exchange.status = status;
    if (exchange.readHeaders) exchange.rawHeaders = data.toString('latin1', headersStart, headersEnd);
    if (status >= 400) exchange.chunks ??= [];
    if (close) this.keepAlive = false;
    if (exchange.request.headOnly || status === 204 || status === 304) this.state = COMPLETE;
    else if (chunked) {
      this.state = CHUNK_SIZE;
      this.remaining = 0;
      this.chunkSizeDigits = 0;
      this.inChunkExtension = false;
      this.trailerLineBytes = 0;
    } else if (contentLength >= 0) {
      this.remaining = contentLength;
      this.state = contentLength === 0 ? COMPLETE : FIXED_BODY;
    } else {
      this.keepAlive = false;
      this.state = UNTIL_CLOSE;
    }
    return bodyStart;
  }

  private readChunkSize(buf: Buffer, pos: number, end: number): number {
    while (pos < end) {
      const c = buf[pos++]!;
      if (c === LF) {
        if (this.chunkSizeDigits === 0) throw new ProtocolError('chunk without a size');
        this.state = this.remaining === 0 ? TRAILERS : CHUNK_DATA;
        return pos;
      }
      if (this.inChunkExtension || c === CR) continue;
      if (c === 0x3b) { this.inChunkExtension = true; continue; }
      const digit = c >= 48 && c <= 57 ? c - 48 : (c | 0x20) >= 97 && (c | 0x20) <= 102 ? (c | 0x20) - 87 : -1;
      if (digit < 0 || this.chunkSizeDigits >= 12) throw new ProtocolError('bad chunk size');
      this.remaining = this.remaining * 16 + digit;
      this.chunkSizeDigits++;
    }
    return pos;
  }

  private complete(exchange: Exchange, nothingFollows: boolean): void {
    this.state = HEAD;
    this.exchange = undefined;
    if (this.keepAlive && nothingFollows && !this.pool.client.aborting) this.pool.release(this, this.serverKeepAliveMs);
    else this.destroy(undefined);
    exchange.finish(undefined);
  }
}

/** The connections to one origin: idle ones are reused, at most `maxConnections` are open, the rest wait in line. */
class OriginPool {
  readonly client: HttpClient;
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  private readonly hostHeader: string;
  private readonly open = new Set<Connection>();
  /** Idle connections, the most recently used last; closed ones are skipped when met and cleared by the sweep. */
  private idle: Connection[] = [];
  private waiting: Exchange[] = [];
  /** The last request built for each path: a scenario's constant steps are encoded once. */
  private readonly encoded = new Map<string, EncodedRequest>();

  constructor(client: HttpClient, origin: string) {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`unsupported protocol ${url.protocol}`);
    this.client = client;
    this.secure = url.protocol === 'https:';
    this.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = url.port ? Number(url.port) : this.secure ? 443 : 80;
    this.hostHeader = url.host;
  }

  encode(path: string, method: string, headers: Record<string, string>, body: string | undefined): EncodedRequest {
    const hit = this.encoded.get(path);
    if (hit !== undefined && hit.headers === headers && hit.method === method && hit.body === body) return hit;
    const request = encodeRequest(this.hostHeader, path, method, headers, body);
    if (hit !== undefined || this.encoded.size < 1000) this.encoded.set(path, request);
    return request;
  }

  dispatch(exchange: Exchange, now: number): void {
    let connection: Connection | undefined;
    while ((connection = this.idle.pop()) !== undefined) {
      if (connection.closed) continue;
      if (now <= connection.reuseUntil) { connection.send(exchange); return; }
      connection.destroy(undefined);
    }
    if (this.open.size < this.client.maxConnections) this.connect(now).send(exchange);
    else this.waiting.push(exchange);
  }

  release(connection: Connection, serverKeepAliveMs: number): void {
    const next = this.waiting.shift();
    if (next !== undefined) { connection.send(next); return; }
    const now = performance.now();
    connection.reuseUntil = now + (serverKeepAliveMs > 0 ? Math.min(IDLE_REUSE_MS, serverKeepAliveMs - KEEP_ALIVE_MARGIN_MS) : IDLE_REUSE_MS);
    this.idle.push(connection);
  }

  /** A connection closed: it leaves the pool, and a request waiting in line may open a new one. */
  forget(connection: Connection): void {
    if (!this.open.delete(connection) || this.client.aborting) return;
    const next = this.waiting.shift();
    if (next !== undefined) this.connect(performance.now()).send(next);
  }

  private connect(now: number): Connection {
    const connection = new Connection(this, now);
    this.open.add(connection);
    return connection;
  }

  sweep(now: number): void {
    let idleClosed = false;
    for (const connection of this.open) {
      const exchange = connection.exchange;
      if (exchange !== undefined) {
        if (!connection.connected && now - connection.openedAt > this.client.connectTimeoutMs) {
          connection.destroy({ kind: 'timeout', message: `connect timeout: no connection to ${this.hostHeader} within ${this.client.connectTimeoutMs} ms` });
        } else if (now > exchange.deadline) {
          connection.destroy({ kind: 'timeout', message: `timeout: no complete response within ${exchange.timeoutMs} ms` });
        }
      } else if (now > connection.reuseUntil) {
        connection.destroy(undefined);
        idleClosed = true;
      }
    }
    if (idleClosed || this.idle.length > this.open.size) this.idle = this.idle.filter((c) => !c.closed);
    if (this.waiting.length && this.waiting[0]!.deadline < now) {
      const expired = this.waiting.filter((e) => e.deadline < now);
      this.waiting = this.waiting.filter((e) => e.deadline >= now);
      for (const e of expired) e.finish({ kind: 'timeout', message: `timeout: no free connection to ${this.hostHeader} within ${e.timeoutMs} ms` });
    }
  }

  abort(): Promise<void>[] {
    const closing: Promise<void>[] = [];
    for (const e of this.waiting) e.finish(INTERRUPTED);
    this.waiting = [];
    for (const connection of [...this.open]) {
      closing.push(new Promise((resolve) => connection.socket.once('close', () => resolve())));
      connection.destroy(INTERRUPTED);
    }
    return closing;
  }
}

export class HttpClient {
  readonly maxConnections: number;
  readonly connectTimeoutMs: number;
  /** Set by abortAll()/close(): failures from then on are the run's own hard stop, not the target's. */
  aborting = false;
  /** Where every plain-TCP connection of this client reads into (a read is parsed before the next one). */
  readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  private readonly pools = new Map<string, OriginPool>();
  private lastOrigin = '';
  private lastPool: OriginPool | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(opts: { connectionsPerOrigin: number; connectTimeoutMs: number }) {
    this.maxConnections = Math.max(1, opts.connectionsPerOrigin);
    this.connectTimeoutMs = opts.connectTimeoutMs;
  }

  send(req: HttpRequest, done: (outcome: HttpOutcome) => void): void {
    const now = performance.now();
    let pool = req.origin === this.lastOrigin ? this.lastPool : undefined;
    let request: EncodedRequest;
    try {
      if (pool === undefined) {
        pool = this.pools.get(req.origin);
        if (pool === undefined) {
          pool = new OriginPool(this, req.origin);
          this.pools.set(req.origin, pool);
        }
        this.lastOrigin = req.origin;
        this.lastPool = pool;
      }
      request = pool.encode(req.path, req.method, req.headers, req.body);
    } catch (err) {
      done({ status: 0, headers: EMPTY_HEADERS, body: '', bytes: 0, endedAt: now, failure: classifyFailure(err) });
      return;
    }
    const exchange = new Exchange(request, req, now, done);
    if (this.aborting) { exchange.finish(INTERRUPTED, now); return; }
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    pool.dispatch(exchange, now);
  }

  private sweep(): void {
    const now = performance.now();
    for (const pool of this.pools.values()) pool.sweep(now);
  }

  /** Aborts every request still in flight (the run's hard stop); they end as 'interrupted'. */
  abortAll(): void {
    if (this.aborting) return;
    this.aborting = true;
    clearInterval(this.sweeper);
    const closing = [...this.pools.values()].flatMap((pool) => pool.abort());
    this.closing = Promise.all(closing).then(() => {});
  }

  async close(): Promise<void> {
    this.abortAll();
    await this.closing;
  }
}
