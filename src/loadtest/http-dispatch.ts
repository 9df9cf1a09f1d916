// HTTP for the load generator: undici's Agent (a connection pool per origin, keep-alive, no pipelining,
// so a slow response delays only its own request) driven through dispatch() with a bare handler: no
// streams and no promise per chunk, which is what lets one worker thread push tens of thousands of
// requests per second. Failures are sorted into the kinds the reports use.
import { Agent, type Dispatcher } from 'undici';

export type FailureKind = 'timeout' | 'connection' | 'interrupted';

export interface HttpOutcome {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text when it was asked for, else ''. */
  body: string;
  bytes: number;
  /** performance.now() when the response ended (or the request failed). */
  endedAt: number;
  failure?: { kind: FailureKind; message: string };
}

export interface HttpRequest {
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  readBody: boolean;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

export class InterruptedError extends Error {}

export function classifyFailure(err: unknown): { kind: FailureKind; message: string } {
  if (err instanceof InterruptedError) return { kind: 'interrupted', message: 'interrupted at the end of the run' };
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const message = `${code ? `${code}: ` : ''}${e.message ?? String(err)}`.slice(0, 200);
  return { kind: code && TIMEOUT_CODES.has(code) ? 'timeout' : 'connection', message };
}

const EMPTY_HEADERS: Record<string, string | string[] | undefined> = {};
const INTERRUPTED = { kind: 'interrupted' as const, message: 'interrupted at the end of the run' };

/**
 * One request and its outcome in a single object: the undici handler (methods on the prototype, no
 * closures) is also what the caller receives. At tens of thousands of requests per second, per-request
 * allocations are what the garbage collector spends its time on.
 *
 * It implements undici's internal handler protocol (onConnect/onHeaders/onData/onComplete/onError),
 * the one its HTTP/1.1 client calls: a handler written to the newer controller API is wrapped by undici
 * in an adapter that also parses every response's headers into an object. Here headers are parsed only
 * when a check or an extractor reads them. (The protocol is marked deprecated in undici 7's types but is
 * what undici 7 runs on; package.json pins undici ^7.)
 */
class Exchange implements Dispatcher.DispatchHandler, HttpOutcome {
  status = 0;
  bytes = 0;
  endedAt = 0;
  failure: { kind: FailureKind; message: string } | undefined = undefined;
  private rawHeaders: Buffer[] | undefined;
  private parsedHeaders: Record<string, string | string[] | undefined> | undefined;
  private chunks: Buffer[] | undefined;
  private text: string | undefined;
  private readonly readBody: boolean;
  private readonly client: HttpClient;
  private done: ((outcome: HttpOutcome) => void) | undefined;

  constructor(client: HttpClient, readBody: boolean, done: (outcome: HttpOutcome) => void) {
    this.client = client;
    this.readBody = readBody;
    this.done = done;
    if (readBody) this.chunks = [];
  }

  get headers(): Record<string, string | string[] | undefined> {
    if (this.parsedHeaders === undefined) {
      const raw = this.rawHeaders;
      if (!raw) return EMPTY_HEADERS;
      const out: Record<string, string | string[] | undefined> = {};
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const key = raw[i]!.toString('latin1').toLowerCase();
        const value = raw[i + 1]!.toString('latin1');
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

  onConnect(): void {}

  onUpgrade(): void {}

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null): boolean {
    // 1xx informational responses come first and are not the answer.
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.rawHeaders = (rawHeaders ?? undefined) as Buffer[] | undefined;
    // Error bodies are kept too (they are small and say why: {"error":{"code":"OUT_OF_STOCK"}}).
    if (statusCode >= 400) this.chunks ??= [];
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.chunks && (this.readBody || this.bytes <= 4096)) this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    this.finish(undefined);
  }

  onError(err: Error): void {
    this.finish(this.client.aborting ? INTERRUPTED : classifyFailure(err));
  }

  finish(failure: { kind: FailureKind; message: string } | undefined): void {
    const done = this.done;
    if (!done) return;
    this.done = undefined;
    this.failure = failure;
    this.endedAt = performance.now();
    this.client.inFlight--;
    done(this);
  }
}

export class HttpClient {
  private readonly agent: Agent;
  /** Requests dispatched and not yet finished. */
  inFlight = 0;
  /** Set by abortAll()/close(): failures from then on are the run's own hard stop, not the target's. */
  aborting = false;

  constructor(opts: { connectionsPerOrigin: number; connectTimeoutMs: number }) {
    this.agent = new Agent({
      connections: opts.connectionsPerOrigin,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 60_000,
      connect: { timeout: opts.connectTimeoutMs },
    });
  }

  send(req: HttpRequest, done: (outcome: HttpOutcome) => void): void {
    const exchange = new Exchange(this, req.readBody, done);
    this.inFlight++;
    try {
      this.agent.dispatch({
        origin: req.origin, path: req.path, method: req.method as Dispatcher.HttpMethod, headers: req.headers,
        body: req.body, headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs,
      }, exchange);
    } catch (err) {
      exchange.finish(classifyFailure(err));
    }
  }

  /** Aborts every request still in flight (the run's hard stop); they end as 'interrupted'. */
  abortAll(): void {
    if (this.aborting) return;
    this.aborting = true;
    this.closing = this.agent.destroy(new InterruptedError('interrupted')).catch(() => {});
  }

  private closing: Promise<void> | undefined;

  async close(): Promise<void> {
    this.abortAll();
    await this.closing;
  }
}
