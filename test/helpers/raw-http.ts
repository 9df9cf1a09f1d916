// A bare HTTP client for tests that must send what fetch() refuses to: unnormalised paths (`../`),
// bodies on GET, wrong Content-Length framing, arbitrary content types. Plus the one check every error
// response must pass.
import http from 'node:http';

export interface RawRequest {
  method: string;
  /** Sent as-is on the request line (already percent-encoded where needed). */
  path: string;
  headers: Record<string, string>;
  body?: string | undefined;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  ms: number;
}

// One connection per request: a server that closes a connection after a bad request (as it should)
// must not make the next, unrelated request fail on a reused socket.
const agent = new http.Agent({ keepAlive: false, maxSockets: 16 });

/** Sends one request; rejects on a network error or when no complete response arrives within timeoutMs. */
export function rawRequest(baseUrl: string, req: RawRequest, timeoutMs = 10_000, opts: { localAddress?: string } = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, res?: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err); else resolve(res!);
    };
    const headers: Record<string, string> = { ...req.headers };
    const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
    const chunked = Object.keys(headers).some((h) => h.toLowerCase() === 'transfer-encoding');
    if (body && !chunked && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
      headers['content-length'] = String(body.length);
    }
    const r = http.request({ hostname, port: Number(port), method: req.method, path: req.path, headers, agent, ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(null, {
        status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'),
        ms: performance.now() - started,
      }));
      res.on('error', (err) => finish(err));
    });
    const timer = setTimeout(() => {
      r.destroy(new Error(`no response within ${timeoutMs} ms (hang)`));
    }, timeoutMs);
    r.on('error', (err) => finish(err));
    if (body) r.write(body, () => {});
    r.end();
  });
}

const CODE_RE = /^[A-Z][A-Z0-9_]+$/;

/**
 * Returns why a response breaks the error contract (a 5xx, or a 4xx without a well-formed
 * {"error":{"code","message"}} JSON body), or undefined when it is fine.
 */
export function errorContractViolation(res: RawResponse): string | undefined {
  if (res.status >= 500) return `server error ${res.status}`;
  if (res.status < 400) return undefined;
  if (!String(res.headers['content-type'] ?? '').startsWith('application/json')) {
    return `${res.status} with content-type ${JSON.stringify(res.headers['content-type'])}, not JSON`;
  }
  let json: unknown;
  try { json = JSON.parse(res.text); } catch { return `${res.status} body is not JSON`; }
  const error = (json as { error?: unknown } | null)?.error as { code?: unknown; message?: unknown } | undefined;
  if (!error || typeof error !== 'object') return `${res.status} body has no "error" object`;
  if (typeof error.code !== 'string' || !CODE_RE.test(error.code)) return `${res.status} error.code ${JSON.stringify(error.code)} is not a stable code`;
  if (typeof error.message !== 'string' || error.message === '') return `${res.status} error.message is not a non-empty string`;
  return undefined;
}

/** A curl command line that sends the same request (bodies over 4 KB are elided). */
export function toCurl(baseUrl: string, req: RawRequest, redact: Record<string, string> = {}): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const hide = (s: string) => Object.entries(redact).reduce((acc, [secret, name]) => acc.split(secret).join(name), s);
  const parts = ['curl -i --path-as-is', '-X', req.method, q(`${baseUrl}${req.path}`)];
  for (const [k, v] of Object.entries(req.headers)) parts.push('-H', q(hide(`${k}: ${v}`)));
  if (req.body !== undefined) {
    if (req.body.length > 4096) {
      parts.push('--data-binary', q(`${req.body.slice(0, 200)}…[${req.body.length} chars; JSON-escaped prefix: ${JSON.stringify(req.body.slice(0, 200))}]`));
    } else {
      parts.push('--data-binary', q(hide(req.body)));
    }
  }
  return parts.join(' ');
}

export function closeRawAgent(): void { agent.destroy(); }
