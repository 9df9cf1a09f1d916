// The signed webhook: the signature scheme (timestamp + body, HMAC-SHA256) and its verification, and the
// channel against a receiver that checks signatures its own way, over real sockets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { WebhookReceiver, WEBHOOK_UNAVAILABLE } from '../../../test/helpers/receivers/webhook-receiver.ts';
import { sampleNotice } from '../../../test/helpers/incident-notices.ts';
import { createWebhookChannel, signWebhook, verifyWebhookSignature, webhookBody } from './webhook-channel.ts';

const SECRET = 'whsec_holdfast_test_0123456789';
let receiver: WebhookReceiver;
before(async () => { receiver = await new WebhookReceiver(SECRET).start(); });
after(async () => { await receiver.stop(); });

test('the signature is HMAC-SHA256 over "<timestamp>.<body>", as the header says', () => {
  const body = '{"id":"x"}';
  const expected = createHmac('sha256', SECRET).update(`1764252131.${body}`).digest('hex');
  assert.equal(signWebhook(SECRET, 1764252131, body), `t=1764252131,v1=${expected}`);
});

test('verification accepts the signed body and rejects tampering, another secret, a stale or future timestamp', () => {
  const nowMs = 1_764_252_131_000;
  const body = JSON.stringify(webhookBody(sampleNotice()));
  const header = signWebhook(SECRET, nowMs / 1000, body);
  assert.deepEqual(verifyWebhookSignature(header, body, SECRET, { nowMs }), { valid: true, timestamp: nowMs / 1000 });
  assert.deepEqual(verifyWebhookSignature(header, body.replace('critical', 'info'), SECRET, { nowMs }), { valid: false, reason: 'mismatch' });
  assert.deepEqual(verifyWebhookSignature(header, body, 'another-secret-0123', { nowMs }), { valid: false, reason: 'mismatch' });
  assert.deepEqual(verifyWebhookSignature(header, body, SECRET, { nowMs: nowMs + 301_000 }), { valid: false, reason: 'too-old' });
  assert.deepEqual(verifyWebhookSignature(header, body, SECRET, { nowMs: nowMs - 301_000 }), { valid: false, reason: 'too-new' });
  assert.deepEqual(verifyWebhookSignature(undefined, body, SECRET, { nowMs }), { valid: false, reason: 'missing' });
  assert.deepEqual(verifyWebhookSignature('t=abc,v1=zz', body, SECRET, { nowMs }), { valid: false, reason: 'malformed' });
  // A sender rotating its secret signs with both: either entry may match.
  const rotated = `${header},v1=${'0'.repeat(64)}`;
  assert.equal(verifyWebhookSignature(rotated, body, SECRET, { nowMs }).valid, true);
});

test('a notice arrives signed, with its delivery id and event type; a retry of it is seen as a duplicate', async () => {
  const channel = createWebhookChannel({ url: receiver.url, secret: SECRET, timeoutMs: 5000 });
  const notice = sampleNotice();
  try {
    assert.deepEqual(await channel.send(notice), { outcome: 'delivered', status: 200, answer: '{"received":true}' });
    const got = receiver.deliveries.get(notice.deliveryId)!;
    assert.equal(got.type, 'incident.triggered');
    assert.equal((got.body.incident as { id: string }).id, notice.incident.id);
    assert.equal(got.body.consoleUrl, notice.consoleUrl);
    assert.equal((await channel.send(notice)).outcome, 'delivered');
    assert.deepEqual(receiver.duplicates, [notice.deliveryId]);
    await channel.send(sampleNotice({ kind: 'resolve', incident: { state: 'resolved', resolvedAt: '2026-11-27T14:06:23.000Z' } }));
    assert.equal(receiver.deliveries.get(`${notice.incident.id}/resolve`)!.type, 'incident.resolved');
  } finally {
    await channel.close();
  }
});

test('answers: 503 and 500 retried; a receiver with another secret (401) given up', async () => {
  const channel = createWebhookChannel({ url: receiver.url, secret: SECRET, timeoutMs: 5000 });
  try {
    receiver.answerNext(1, WEBHOOK_UNAVAILABLE);
    assert.deepEqual(await channel.send(sampleNotice()), { outcome: 'retry', status: 503, retryAfterMs: null, reason: 'HTTP 503: {"error":"unavailable"}' });
    receiver.answerNext(1, { status: 500, body: 'oops' });
    assert.equal((await channel.send(sampleNotice())).outcome, 'retry');
  } finally {
    await channel.close();
  }
  const wrong = createWebhookChannel({ url: receiver.url, secret: 'not-the-receivers-secret', timeoutMs: 5000 });
  try {
    assert.deepEqual(await wrong.send(sampleNotice()), { outcome: 'give-up', status: 401, reason: 'HTTP 401: {"error":"signature mismatch"}' });
  } finally {
    await wrong.close();
  }
});

test('a signature dated by a clock more than five minutes off is refused by the receiver', async () => {
  const channel = createWebhookChannel({ url: receiver.url, secret: SECRET, timeoutMs: 5000, nowMs: () => Date.now() - 10 * 60_000 });
  try {
    const result = await channel.send(sampleNotice());
    assert.deepEqual(result, { outcome: 'give-up', status: 401, reason: 'HTTP 401: {"error":"timestamp outside tolerance"}' });
  } finally {
    await channel.close();
  }
});
