// The part every local receiver shares: an HTTP server on 127.0.0.1 that records each request it gets
// and answers it like the service it imitates, unless a test has scripted the next answers ("the next 2
// requests get 429 with Retry-After: 1", "the next one waits 5 s"), so retries and slow receivers can be
// tested against real sockets.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  /** ms since the epoch when the request's body had arrived */
  at: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** what the receiver answered */
  status: number;
  /** true when the answer came from the script rather than the service's own logic */
  scripted: boolean;
}

export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface ScriptedAnswer extends Answer {
  /** wait this long before answering (a slow receiver) */
  delayMs?: number;
  /** answer nothing at all and drop the connection */
  dropConnection?: boolean;
}

export class ScriptedReceiver {
  readonly requests: ReceivedRequest[] = [];
  #server: http.Server | undefined;
  #url = '';
  #script: ScriptedAnswer[] = [];
  #waiters: { count: number; resolve: () => void }[] = [];
  readonly #answer: (req: Omit<ReceivedRequest, 'status' | 'scripted'>) => Answer;

  constructor(answer: (req: Omit<ReceivedRequest, 'status' | 'scripted'>) => Answer) {
    this.#answer = answer;
  }

  get url(): string { return this.#url; }

  async start(): Promise<this> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => { void this.#handle(req, res, Buffer.concat(chunks).toString('utf8')); });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    const seen = { at: Date.now(), method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
    const scripted = this.#script.shift();
    if (scripted?.delayMs) await new Promise((r) => setTimeout(r, scripted.delayMs));
    if (scripted?.dropConnection) {
      this.#record({ ...seen, status: 0, scripted: true });
      req.socket.destroy();
      return;
    }
    const answer = scripted ?? this.#answer(seen);
    this.#record({ ...seen, status: answer.status, scripted: scripted !== undefined });
    if (res.destroyed) return;
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(answer.body ?? '');
  }

  #record(r: ReceivedRequest): void {
    this.requests.push(r);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.requests.length < w.count) return true;
      w.resolve();
      return false;
    });
  }

  /** The next `times` requests get this answer instead of the service's own. */
  answerNext(times: number, answer: ScriptedAnswer): void {
    for (let i = 0; i < times; i++) this.#script.push(answer);
  }

  /** Resolves once `count` requests in all have arrived; rejects after timeoutMs. */
  waitForRequests(count: number, timeoutMs = 10_000): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.requests.length} of ${count} requests arrived within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({ count, resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** JSON.parse, or undefined for a body that is not JSON. */
export function parseJson(body: string): unknown {
  try { return JSON.parse(body); } catch { return undefined; }
}
