// The provider adapter's transport outcomes, over real sockets: whether a failed call may have reached the
// provider decides between failing over (not sent) and resolving the charge with the same key (in doubt).
// These are the answers the HTTP client library gives us, so an upgrade of it that changed one fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ProviderError, StripeClient } from './stripe-client.ts';
import { freePort } from '../../test/helpers/free-port.ts';

async function listen(handler: http.RequestListener): Promise<{ baseUrl: string; versions: string[]; close: () => Promise<void> }> {
  const versions: string[] = [];
  const server = http.createServer((req, res) => { versions.push(req.httpVersion); handler(req, res); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`, versions,
    close: () => { server.closeAllConnections(); return new Promise((resolve) => server.close(() => resolve())); },
  };
}

const charge = (client: StripeClient, signal?: AbortSignal) => client.createAndConfirm({
  amount: 1299, currency: 'USD', paymentMethod: 'pm_card_visa', metadata: { order_id: 'o1' }, idempotencyKey: 'k1', signal,
});

test('nothing listening: a retryable error known not to have been sent (safe to fail over)', async () => {
  const client = new StripeClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, secretKey: 'sk_test_x' });
  try {
    await assert.rejects(charge(client), (err: ProviderError) => err instanceof ProviderError && !err.sent && err.retryable);
  } finally { await client.close(); }
});

test('the connection drops after the request arrived: in doubt (sent), retryable with the same key', async () => {
  const server = await listen((req) => { req.resume(); req.on('end', () => req.socket.destroy()); });
  const client = new StripeClient({ baseUrl: server.baseUrl, secretKey: 'sk_test_x' });
  try {
    await assert.rejects(charge(client), (err: ProviderError) => err instanceof ProviderError && err.sent && err.retryable);
  } finally { await client.close(); await server.close(); }
});

test('a call abandoned by its signal while the provider works on it is in doubt (sent)', async () => {
  const server = await listen((req) => { req.resume(); });
  const client = new StripeClient({ baseUrl: server.baseUrl, secretKey: 'sk_test_x' });
  try {
    const abandon = new AbortController();
    setTimeout(() => abandon.abort(), 100);
    await assert.rejects(charge(client, abandon.signal), (err: ProviderError) => err instanceof ProviderError && err.sent && err.retryable);
  } finally { await client.close(); await server.close(); }
});

test('answers are read whole over HTTP/1.1, with the form body, key and idempotency key sent as Stripe expects', async () => {
  let seen: { headers: http.IncomingHttpHeaders; body: string } | undefined;
  const server = await listen((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => {
      seen = { headers: req.headers, body };
      res.writeHead(402, { 'content-type': 'application/json' }).end(JSON.stringify({
        error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
      }));
    });
  });
  const client = new StripeClient({ baseUrl: server.baseUrl, secretKey: 'sk_test_x' });
  try {
    const outcome = await charge(client);
    assert.deepEqual(outcome, { kind: 'declined', code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.', intent: undefined });
    assert.deepEqual(server.versions, ['1.1']);
    assert.equal(seen?.headers.authorization, 'Bearer sk_test_x');
    assert.equal(seen?.headers['idempotency-key'], 'k1');
    assert.equal(seen?.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.match(seen?.body ?? '', /^amount=1299&currency=usd&payment_method=pm_card_visa&confirm=true&metadata%5Border_id%5D=o1&/);
  } finally { await client.close(); await server.close(); }
});

test('HTTP/1.1 even against a provider that offers HTTP/2 (TLS with ALPN h2, as api.stripe.com does)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'holdfast-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
    { stdio: 'ignore' });
    const versions: string[] = [];
    const server = http2.createSecureServer({
      key: await readFile(path.join(dir, 'key.pem')), cert: await readFile(path.join(dir, 'cert.pem')), allowHTTP1: true,
    }, (req, res) => {
      versions.push(req.httpVersion);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'pi_1', object: 'payment_intent', status: 'succeeded' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // The certificate is self-signed; this test file runs in a process of its own.
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const client = new StripeClient({ baseUrl: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, secretKey: 'sk_test_x' });
    try {
      assert.equal((await client.retrieve('pi_1')).status, 'succeeded');
      assert.deepEqual(versions, ['1.1']);
    } finally {
      await client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  } finally { await rm(dir, { recursive: true, force: true }); }
});
