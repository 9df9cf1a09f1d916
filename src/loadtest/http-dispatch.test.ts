// The load generator's HTTP/1.1 client against real sockets: keep-alive reuse, the ways a response
// body can be framed (length, chunks, until close, none), responses that arrive a few bytes at a time,
// timeouts, refused and dropped connections, and the hard stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { HttpClient, type HttpOutcome, type HttpRequest } from './http-dispatch.ts';

async function listen(server: net.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function request(origin: string, path: string, extra: Partial<HttpRequest> = {}): HttpRequest {
  return { origin, path, method: 'GET', headers: {}, timeoutMs: 5000, readBody: true, readHeaders: true, ...extra };
}

function send(client: HttpClient, req: HttpRequest): Promise<HttpOutcome> {
  return new Promise((resolve) => client.send(req, resolve));
}

/** A raw TCP server that answers every request on a connection with `respond(socket, requestText)`. */
async function rawServer(respond: (socket: net.Socket, request: string) => void): Promise<{ origin: string; server: net.Server; connections: () => number }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    let buffered = '';
    socket.on('data', (d) => {
      buffered += d.toString('latin1');
      let end;
      while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
        const head = buffered.slice(0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const text = buffered.slice(0, end + 4 + length);
        buffered = buffered.slice(end + 4 + length);
        respond(socket, text);
      }
    });
    socket.on('error', () => {});
  });
  return { origin: await listen(server), server, connections: () => connections };
}

test('keep-alive: sequential requests share one connection; request headers, body and host are sent', async () => {
  const seen: { method: string; url: string; host: string; custom: string; body: string }[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, host: req.headers.host!, custom: String(req.headers['x-custom']), body });
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end(JSON.stringify({ ok: true }));
    });
  });
  server.on('connection', () => { connections++; });
  const origin = await listen(server);
  const client = new HttpClient({ connectionsPerOrigin: 4, connectTimeoutMs: 1000 });
  try {
    for (let i = 0; i < 3; i++) {
      const r = await send(client, request(origin, `/items/${i}?q=1`, { method: 'POST', headers: { 'x-custom': 'yes' }, body: 'żółw' }));
      assert.equal(r.failure, undefined);
      assert.equal(r.status, 200);
      assert.equal(r.body, '{"ok":true}');
      assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
    }
    assert.equal(connections, 1);
    assert.deepEqual(seen[2], { method: 'POST', url: '/items/2?q=1', host: origin.slice('http://'.length), custom: 'yes', body: 'żółw' });
  } finally {
    await client.close();
    server.close();
  }
});

test('chunked bodies, bodies without a length, HEAD and 204 are framed correctly', async () => {
  const server = http.createServer((req, res) => {
    if (req.url === '/chunked') {
      res.write('hello, ');
      setTimeout(() => res.end('chunked world'), 20);
    } else if (req.url === '/no-content') {
      res.writeHead(204).end();
    } else {
      res.setHeader('content-length', '5');
      res.end(req.method === 'HEAD' ? undefined : 'fixed');
    }
  });
  const origin = await listen(server);
  const client = new HttpClient({ connectionsPerOrigin: 1, connectTimeoutMs: 1000 });
  try {
    const chunked = await send(client, request(origin, '/chunked'));
    assert.equal(chunked.body, 'hello, chunked world');
    assert.equal(chunked.bytes, 20);
    assert.equal(chunked.headers['transfer-encoding'], 'chunked');
    const head = await send(client, request(origin, '/fixed', { method: 'HEAD' }));
    assert.equal(head.status, 200);
    assert.equal(head.bytes, 0);
    assert.equal((await send(client, request(origin, '/no-content'))).status, 204);
    assert.equal((await send(client, request(origin, '/fixed'))).body, 'fixed', 'the connection is still in step after HEAD and 204');
  } finally {
    await client.close();
    server.close();
  }

  const untilClose = await rawServer((socket) => { socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end'); });
  const second = new HttpClient({ connectionsPerOrigin: 1, connectTimeoutMs: 1000 });
  try {
    const r = await send(second, request(untilClose.origin, '/'));
    assert.equal(r.failure, undefined);
    assert.equal(r.body, 'until the end');
    assert.equal((await send(second, request(untilClose.origin, '/'))).body, 'until the end', 'a new connection replaces the closed one');
    assert.equal(untilClose.connections(), 2);
  } finally {
    await second.close();
    untilClose.server.close();
  }
});

test('a response that arrives a few bytes at a time, after an informational 103, is reassembled', async () => {
  const response = 'HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 12\r\nX-Id: 42\r\n\r\nsplit bodies'
    + 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\ntrailer: x\r\n\r\n';
  const raw = await rawServer((socket, text) => {
    const part = text.startsWith('GET /second') ? response.slice(response.indexOf('HTTP/1.1 200')) : response.slice(0, response.indexOf('HTTP/1.1 200'));
    let i = 0;
    const drip = () => {
      socket.write(part.slice(i, i + 7));
      i += 7;
      if (i < part.length) setTimeout(drip, 1);
    };
    drip();
  });
  const client = new HttpClient({ connectionsPerOrigin: 1, connectTimeoutMs: 1000 });
  try {
    const first = await send(client, request(raw.origin, '/first'));
    assert.equal(first.failure, undefined);
    assert.equal(first.status, 201);
    assert.equal(first.headers['x-id'], '42');
    assert.equal(first.body, 'split bodies');
    const second = await send(client, request(raw.origin, '/second'));
    assert.equal(second.body, 'abc');
    assert.equal(raw.connections(), 1);
  } finally {
    await client.close();
    raw.server.close();
  }
});

test('timeouts, refused connections, connections dropped mid-response and garbage are failures of the right kind', async () => {
  const raw = await rawServer((socket, text) => {
    if (text.startsWith('GET /stall')) return;
    if (text.startsWith('GET /drop')) { socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial'); socket.destroy(); return; }
    if (text.startsWith('GET /garbage')) { socket.write('SMTP ready\r\n\r\n'); return; }
    socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  const client = new HttpClient({ connectionsPerOrigin: 2, connectTimeoutMs: 1000 });
  try {
    const started = performance.now();
    const stalled = await send(client, request(raw.origin, '/stall', { timeoutMs: 200 }));
    assert.equal(stalled.failure?.kind, 'timeout');
    assert.ok(stalled.endedAt - started >= 200 && stalled.endedAt - started < 1000, `timed out after ${stalled.endedAt - started} ms`);
    assert.equal((await send(client, request(raw.origin, '/drop'))).failure?.kind, 'connection');
    assert.match((await send(client, request(raw.origin, '/garbage'))).failure?.message ?? '', /invalid HTTP response/);
    assert.equal((await send(client, request(raw.origin, '/fine'))).body, 'ok', 'the pool recovers');
    const gone = net.createServer();
    const unreachable = await listen(gone);
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    const r = await send(client, request(unreachable, '/'));
    assert.equal(r.failure?.kind, 'connection');
    assert.match(r.failure?.message ?? '', /ECONNREFUSED/);
    assert.match((await send(client, request(raw.origin, 'no slash'))).failure?.message ?? '', /invalid request path/);
  } finally {
    await client.close();
    raw.server.close();
  }
});

test('requests beyond the connection limit wait for a free connection; the hard stop interrupts everything', async () => {
  let open = 0;
  let maxOpen = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/hang') return;
    setTimeout(() => res.end('done'), 10);
  });
  server.on('connection', (s) => { open++; maxOpen = Math.max(maxOpen, open); s.on('close', () => { open--; }); });
  const origin = await listen(server);
  const client = new HttpClient({ connectionsPerOrigin: 2, connectTimeoutMs: 1000 });
  try {
    const all = await Promise.all(Array.from({ length: 10 }, () => send(client, request(origin, '/'))));
    assert.ok(all.every((r) => r.status === 200 && r.body === 'done'));
    assert.equal(maxOpen, 2);
    const hung = [send(client, request(origin, '/hang')), send(client, request(origin, '/hang')), send(client, request(origin, '/hang'))];
    await new Promise((resolve) => setTimeout(resolve, 50));
    await client.close();
    for (const r of await Promise.all(hung)) assert.equal(r.failure?.kind, 'interrupted');
    assert.equal((await send(client, request(origin, '/'))).failure?.kind, 'interrupted', 'nothing is sent after the hard stop');
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('a connection the server closes after the response, or is about to time out, is not reused', async () => {
  const raw = await rawServer((socket, text) => {
    if (text.startsWith('GET /close')) socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\ncontent-length: 3\r\n\r\nbye');
    else socket.write('HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=2\r\ncontent-length: 2\r\n\r\nhi');
  });
  const client = new HttpClient({ connectionsPerOrigin: 1, connectTimeoutMs: 1000 });
  try {
    assert.equal((await send(client, request(raw.origin, '/close'))).body, 'bye');
    assert.equal((await send(client, request(raw.origin, '/'))).body, 'hi');
    assert.equal((await send(client, request(raw.origin, '/'))).body, 'hi');
    assert.equal(raw.connections(), 2, 'a new connection after "Connection: close", then kept alive');
    // Reused only until a second before the server's announced keep-alive timeout (2 s).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await send(client, request(raw.origin, '/'))).failure, undefined);
    assert.equal(raw.connections(), 3);
  } finally {
    await client.close();
    raw.server.close();
  }
});

test('response headers named like Object.prototype members are only headers', async () => {
  const raw = await rawServer((socket) => {
    socket.write('HTTP/1.1 200 OK\r\nConstructor: a\r\nconstructor: b\r\n__proto__: c\r\ncontent-length: 2\r\n\r\nok');
  });
  const client = new HttpClient({ connectionsPerOrigin: 1, connectTimeoutMs: 1000 });
  try {
    const { headers } = await send(client, request(raw.origin, '/'));
    assert.deepEqual(headers.constructor, ['a', 'b'], 'repeated, as any header');
    assert.ok(Object.hasOwn(headers, '__proto__'));
    assert.equal(headers.__proto__, 'c');
    assert.equal(headers.tostring, undefined);
    assert.equal(headers.toString, undefined, 'nothing inherited');
  } finally {
    await client.close();
    raw.server.close();
  }
});
