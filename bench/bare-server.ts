// The baseline of the catalog benchmark: a bare node:http server that answers each measured path with
// the very bytes (same size, same content type, same status) Holdfast answered it with. No framework,
// no database, no validation, no security headers: what Node itself can do on this machine. Holdfast's
// throughput is reported as a ratio to this server's, measured in the same run on the same machine.
//
//   node bench/bare-server.ts --fixtures <file.json> [--port 0]
//
// The fixtures file is {"routes": [{"path", "status", "contentType", "bodyBase64"}]}. Prints
// `listening <port>` when ready; exits when its standard input closes (the bench died) or on SIGTERM.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export interface BareFixture { path: string; status: number; contentType: string; bodyBase64: string }

const { values } = parseArgs({ options: { fixtures: { type: 'string' }, port: { type: 'string', default: '0' } }, strict: true });
if (!values.fixtures) {
  process.stderr.write('usage: node bench/bare-server.ts --fixtures <file.json> [--port N]\n');
  process.exit(2);
}
const fixtures = (JSON.parse(readFileSync(values.fixtures, 'utf8')) as { routes: BareFixture[] }).routes;
const routes = new Map(fixtures.map((f) => {
  const body = Buffer.from(f.bodyBase64, 'base64');
  return [f.path, { status: f.status, headers: { 'content-type': f.contentType, 'content-length': String(body.length) }, body }];
}));

const server = http.createServer((req, res) => {
  const route = routes.get(req.url ?? '');
  if (!route) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  res.writeHead(route.status, route.headers);
  res.end(route.body);
});
server.keepAliveTimeout = 60_000;

server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : values.port}\n`);
});

const shutdown = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
