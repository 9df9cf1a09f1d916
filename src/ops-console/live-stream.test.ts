// The live views' streams over a real socket: a stream ends at its session's expiry (the session is read
// once, when the stream opens, so the expiry it carries is what ends it, not a request); a closed stream
// (the console stopped) takes no new one.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../platform/observability/logger.ts';
import { LiveStream, type StreamSession } from './live-stream.ts';

const logger = createLogger({ level: 'silent', service: 'live-stream-test' });

function streamOn(server: http.Server, stream: LiveStream, session: () => StreamSession) {
  server.on('request', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    stream.add(res, session());
  });
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Everything a stream sends until it ends (the test's timeout bounds a stream that never does). */
async function readToEnd(url: string): Promise<string> {
  const res = await fetch(url);
  return res.text();
}

const servers: http.Server[] = [];
after(() => { for (const s of servers) s.close(); });

test('a live view ends at its session\'s expiry, saying so, though the session is still in the table', { timeout: 10_000 }, async () => {
  const stream = new LiveStream({
    produce: async () => ({ at: Date.now() }), signedIn: async (keys) => new Set(keys),
    maxStreams: 5, intervalMs: 50, sessionCheckMs: 50, logger,
  });
  const server = http.createServer();
  servers.push(server);
  streamOn(server, stream, () => ({ key: 'k', expiresAt: new Date(Date.now() + 300) }));
  const text = await readToEnd(await listen(server));
  assert.match(text, /event: overview\n/);
  assert.ok(text.endsWith('event: signed-out\ndata: {}\n\n'), text.slice(-80));
  assert.equal(stream.open, 0);
  stream.close();
});

test('after close(), a stream is not taken on: its response ends at once and no timer keeps the process busy', { timeout: 10_000 }, async () => {
  let produced = 0;
  const stream = new LiveStream({
    produce: async () => ({ n: ++produced }), signedIn: async (keys) => new Set(keys),
    maxStreams: 5, intervalMs: 50, sessionCheckMs: 50, logger,
  });
  stream.close();
  const server = http.createServer();
  servers.push(server);
  streamOn(server, stream, () => ({ key: 'k', expiresAt: new Date(Date.now() + 60_000) }));
  assert.equal(await readToEnd(await listen(server)), '');
  assert.equal(stream.open, 0);
  assert.equal(produced, 0);
  assert.equal(stream.closed, true);
});
