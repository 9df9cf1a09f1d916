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

export class HttpClient {
  private readonly agent: Agent;
  private readonly inFlight = new Set<Dispatcher.DispatchController>();
  /** Set by abortAll()/close(): failures from then on are the run's own hard stop, not the target's. */
  private aborting = false;

  constructor(opts: { connectionsPerOrigin: number; connectTimeoutMs: number }) {
    this.agent = new Agent({
      connections: opts.connectionsPerOrigin,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 60_000,
      connect: { timeout: opts.connectTimeoutMs },
    });
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  send(req: HttpRequest, done: (outcome: HttpOutcome) => void): void {
    let status = 0;
    let headers = EMPTY_HEADERS;
    let bytes = 0;
    const chunks: Buffer[] | undefined = req.readBody ? [] : undefined;
    let controller: Dispatcher.DispatchController | undefined;
    let finished = false;
    const inFlight = this.inFlight;
    const client = this;
    const finish = (failure?: { kind: FailureKind; message: string }) => {
      if (finished) return;
      finished = true;
      if (controller) inFlight.delete(controller);
      done({
        status, headers, bytes, endedAt: performance.now(), failure,
        body: chunks && !failure ? (chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')) : '',
      });
    };
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) { controller = c; inFlight.add(c); },
      onResponseStart(_c, statusCode, responseHeaders) { status = statusCode; headers = responseHeaders as Record<string, string | string[] | undefined>; },
      onResponseData(_c, chunk) { bytes += chunk.length; chunks?.push(chunk); },
      onResponseEnd() { finish(); },
      onResponseError(_c, err) { finish(client.aborting ? { kind: 'interrupted', message: 'interrupted at the end of the run' } : classifyFailure(err)); },
    };
    try {
      this.agent.dispatch({
        origin: req.origin, path: req.path, method: req.method as Dispatcher.HttpMethod, headers: req.headers,
        body: req.body, headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs,
      }, handler);
    } catch (err) {
      finish(classifyFailure(err));
    }
  }

  /** Aborts every request still in flight (the run's hard stop); they end as 'interrupted'. */
  abortAll(): void {
    this.aborting = true;
    for (const c of [...this.inFlight]) {
      try { c.abort(new InterruptedError('interrupted')); } catch { /* already done */ }
    }
  }

  async close(): Promise<void> {
    this.abortAll();
    await this.agent.destroy().catch(() => {});
  }
}
