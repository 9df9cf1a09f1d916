// A stand-in on a role's HTTP port while the role waits for something its real server cannot start
// without (the database, at start-up: the real server is built after the migrations have run). It answers
// what operators and orchestrators ask a process that is alive but not ready: /healthz 200 (a liveness
// probe must not restart a process that is waiting by design), /readyz 503 with the reason, /metrics; and
// every other request a 503 with its stable code and Retry-After, as an unavailable dependency gets. It
// is closed before the real server listens on the same port.
import http from 'node:http';
import { registry } from '../observability/metrics.ts';
import type { DomainError } from '../errors/domain-error.ts';
import { codedErrorReply } from './http-errors.ts';
import { errorBody, RETRY_AFTER_SECONDS } from './http-server.ts';

export interface StandbyServer {
  /** http://host:port */
  readonly url: string;
  close(): Promise<void>;
}

export async function startStandbyServer(opts: {
  host: string;
  port: number;
  /** The /readyz reason, e.g. "waiting for the database". */
  reason: string;
  /** What every other request is answered (a 503 code such as DATABASE_UNAVAILABLE). */
  unavailable: DomainError;
}): Promise<StandbyServer> {
  const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    // Nothing here is worth keeping a connection for: the real server takes the port over soon.
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', connection: 'close', ...headers });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz') return json(res, 503, { status: 'starting', reason: opts.reason });
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => { res.writeHead(200, { 'content-type': registry.contentType, connection: 'close' }); res.end(text); },
        () => json(res, 500, errorBody('INTERNAL', 'Internal error.')),
      );
      return;
    }
    const err = codedErrorReply(opts.unavailable)!;
    json(res, err.statusCode, errorBody(err.code, err.message), err.statusCode === 503 ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve(); });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
