// The signed waiting-room pass: what it encodes comes back, and a forged, altered, expired or garbled
// cookie is worth nothing (the caller then puts the shopper at the back of the queue).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newVisitorId, waitingRoomCookieCodec, waitingRoomCookieOptions, type WaitingRoomPass } from './waiting-room-cookie.ts';

const SECRET = 'a-secret-kept-in-the-database-0123456789';
const codec = waitingRoomCookieCodec(SECRET);
const NOW = 1_795_000_000; // 2026-11-18, seconds
const queued: WaitingRoomPass = { visitorId: newVisitorId(), state: 'queued', ticket: 1234, issuedAt: NOW - 60, lastSeenAt: NOW - 5, expiresAt: NOW + 295 };

test('a pass comes back as it was written, and is small', () => {
  const raw = codec.encode(queued);
  assert.deepEqual(codec.verify(raw, NOW), { valid: true, pass: queued, resign: false });
  const admitted: WaitingRoomPass = { ...queued, state: 'admitted', ticket: 0 };
  assert.deepEqual(codec.verify(codec.encode(admitted), NOW), { valid: true, pass: admitted, resign: false });
  const uncounted: WaitingRoomPass = { ...admitted, uncounted: true };
  assert.deepEqual(codec.verify(codec.encode(uncounted), NOW), { valid: true, pass: uncounted, resign: false });
  assert.ok(raw.length <= 110, `${raw.length} characters: ${raw}`);
  assert.match(raw, /^[A-Za-z0-9._\-+/]+$/, 'only characters a cookie value may hold unquoted');
  assert.equal(newVisitorId().length, 16);
  assert.notEqual(newVisitorId(), newVisitorId());
});

test('an altered pass is refused: moving forward in the queue, or admitting oneself', () => {
  const raw = codec.encode(queued);
  const [version, visitor, ticket, ...rest] = raw.split('.');
  const forward = [version, visitor, `q${(5).toString(36)}`, ...rest].join('.');
  assert.deepEqual(codec.verify(forward, NOW), { valid: false, reason: 'forged' });
  const admitted = [version, visitor, ticket!.replace(/^q/, 'a'), ...rest].join('.');
  assert.deepEqual(codec.verify(admitted, NOW), { valid: false, reason: 'forged' });
  const uncounted = [version, visitor, ticket!.replace(/^q/, 'n'), ...rest].join('.');
  assert.deepEqual(codec.verify(uncounted, NOW), { valid: false, reason: 'forged' });
  const flipped = raw.slice(0, -1) + (raw.endsWith('A') ? 'B' : 'A');
  assert.deepEqual(codec.verify(flipped, NOW), { valid: false, reason: 'forged' });
});

test('a pass signed with another secret is a forgery', () => {
  const other = waitingRoomCookieCodec('another-secret-nobody-here-knows-0123456789');
  assert.deepEqual(codec.verify(other.encode(queued), NOW), { valid: false, reason: 'forged' });
});

test('an expired pass is worth nothing, even with a good signature (a copy kept for later)', () => {
  const raw = codec.encode(queued);
  assert.equal(codec.verify(raw, queued.expiresAt - 1).valid, true);
  assert.deepEqual(codec.verify(raw, queued.expiresAt), { valid: false, reason: 'expired' });
});

test('missing, garbled, oversized and impossible passes are refused without a throw', () => {
  assert.deepEqual(codec.verify(undefined, NOW), { valid: false, reason: 'missing' });
  assert.deepEqual(codec.verify('', NOW), { valid: false, reason: 'missing' });
  for (const raw of ['x', '.', 'a.b', '1.2.3.4.5.6.7', 'é'.repeat(50), '1.'.repeat(150)]) {
    assert.deepEqual(codec.verify(raw, NOW), { valid: false, reason: 'malformed' }, raw);
  }
  // Signed by us but inconsistent (seen before issued), or issued in the future: not a pass we wrote.
  assert.deepEqual(codec.verify(codec.encode({ ...queued, lastSeenAt: queued.issuedAt - 1 }), NOW), { valid: false, reason: 'malformed' });
  assert.deepEqual(codec.verify(codec.encode({ ...queued, issuedAt: NOW + 3600, lastSeenAt: NOW + 3600, expiresAt: NOW + 4000 }), NOW), { valid: false, reason: 'malformed' });
  assert.throws(() => codec.encode({ ...queued, visitorId: 'short' }), /visitorId/);
  assert.throws(() => waitingRoomCookieCodec('too short'), /at least 32/);
});

test('rotating the secret: passes signed with the previous one still count, and are re-signed', () => {
  const rotated = waitingRoomCookieCodec(['the-new-secret-for-this-season-0123456789', SECRET]);
  assert.deepEqual(rotated.verify(codec.encode(queued), NOW), { valid: true, pass: queued, resign: true });
  assert.deepEqual(rotated.verify(rotated.encode(queued), NOW), { valid: true, pass: queued, resign: false });
});

test('a pass checked once is still judged by the clock every time, and a forgery of it is still refused', () => {
  const own = waitingRoomCookieCodec(SECRET);
  const admitted: WaitingRoomPass = { ...queued, state: 'admitted', ticket: 0, expiresAt: NOW + 30 };
  const raw = own.encode(admitted);
  assert.equal(own.verify(raw, NOW).valid, true);
  assert.equal(own.verify(raw, NOW + 10).valid, true, 'the same value again, inside its session');
  assert.deepEqual(own.verify(raw, NOW + 30), { valid: false, reason: 'expired' }, 'checked before: expired all the same');
  // A pass issued in the future is refused even when its value was accepted before (a clock moved back).
  assert.deepEqual(own.verify(raw, NOW - 60 - 301), { valid: false, reason: 'malformed' });
  // One character of the signature changed: not the value that was checked, so it is checked, and refused.
  const last = raw.at(-1) === 'A' ? 'B' : 'A';
  assert.deepEqual(own.verify(raw.slice(0, -1) + last, NOW), { valid: false, reason: 'forged' });
  // A pass handed out to a shopper is not changed by the next shopper's use of the same value.
  const first = own.verify(raw, NOW);
  assert.ok(first.valid);
  assert.throws(() => { (first.pass as { ticket: number }).ticket = 1; }, TypeError);
  assert.deepEqual(own.verify(raw, NOW), { valid: true, pass: admitted, resign: false });
});

test('cookie options: HttpOnly, SameSite=Lax, the whole shop, until the pass expires', () => {
  assert.deepEqual(waitingRoomCookieOptions(queued, NOW, true), { path: '/', httpOnly: true, sameSite: 'lax', secure: true, maxAge: 295 });
});
