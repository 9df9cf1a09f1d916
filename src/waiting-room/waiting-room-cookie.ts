// The waiting-room pass: a shopper's place in the queue, or their admission, kept in the signed cookie
// `hf_waitingroom`, so that an admitted shopper's request is decided in memory, with no database round trip.
//
// Signed (HMAC-SHA256), not encrypted. Queue-it signs its token and cookie; Cloudflare encrypts
// `__cfwaitingroom`. What matters is that nobody can move themselves forward or admit themselves, and a
// signature is enough for that: any change to the payload, or a payload made up, fails the check (compared
// in constant time) and the shopper goes to the back of the queue. Encryption would hide the payload, and
// Holdfast's holds nothing the shopper is not shown anyway or that says who they are: a random visitor id,
// queued or admitted, the arrival ticket (their place is on the waiting page), and three times. What a
// reader can learn from the ticket is how many shoppers arrived before them, about what the position on
// the page says. Encrypting it would cost bytes on every request (an IV and a tag) for no secret kept.
// The signature is the one @fastify/cookie puts on the shop's other cookies (`value.` + base64 HMAC-SHA256
// without padding), made with node:crypto here so the room's domain code needs no HTTP library: compared
// with crypto.timingSafeEqual, and several secrets so the secret can be rotated (sign with the first,
// accept any; an accepted older one asks for the cookie to be signed again).
//
// A copy of the cookie works on another device until it expires (the place is the pass's, not the
// device's), as with Queue-it; an expired copy is worth nothing. Times are whole seconds since the epoch.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const WAITING_ROOM_COOKIE = 'hf_waitingroom';

export type PassState = 'queued' | 'admitted';

export interface WaitingRoomPass {
  /** Random, 96 bits: one shopper's browser, for counting active shoppers. */
  visitorId: string;
  state: PassState;
  /** Place in the arrival order, given once on arrival and never changed (0: admitted without queueing). */
  ticket: number;
  /** When the shopper first arrived (s). */
  issuedAt: number;
  /** Their last request that counted (s): the session renews from it; a queued shopper's last refresh. */
  lastSeenAt: number;
  /** Worth nothing from then on (s): admitted, a session with no request; queued, a tab closed for long. */
  expiresAt: number;
  /**
   * Admitted while the room was not queueing and not counted yet: the shopper counts as active from the
   * first request that brings the pass back (admission.ts). A client that keeps no cookies (a crawler, a
   * monitor, a load tester's bare requests) is then never a session in the database.
   */
  uncounted?: boolean;
}

export type PassCheck =
  | { valid: true; pass: Readonly<WaitingRoomPass>; /** signed with an older secret: send it again signed with the current one */ resign: boolean }
  | { valid: false; reason: 'missing' | 'malformed' | 'forged' | 'expired' };

/** Longer than any pass this module writes (about 110 characters); anything longer is not checked at all. */
const MAX_COOKIE_LENGTH = 200;
const FORMAT_VERSION = '1';
/** Checked admitted passes kept per codec (about 300 bytes each, their value copied out of the request's Cookie header): more than the shoppers one replica serves at once. */
const CHECKED_PASSES_KEPT = 20_000;
const PAYLOAD = /^1\.([A-Za-z0-9_-]{16})\.([qan])([0-9a-z]{1,10})\.([0-9a-z]{1,8})\.([0-9a-z]{1,8})\.([0-9a-z]{1,8})$/;
/** A pass issued further in the future than this is refused: no clock is that far off. */
const CLOCK_SKEW_SECONDS = 300;

// Random bytes are drawn from the CSPRNG in blocks (as crypto.randomUUID does): one call per visitor
// was a visible share of a waiting answer's cost in a surge.
const VISITOR_ID_BYTES = 12;
let randomBlock = Buffer.alloc(0);
let randomAt = 0;

export function newVisitorId(): string {
  if (randomAt + VISITOR_ID_BYTES > randomBlock.length) {
    randomBlock = randomBytes(VISITOR_ID_BYTES * 256);
    randomAt = 0;
  }
  const id = randomBlock.toString('base64url', randomAt, randomAt + VISITOR_ID_BYTES);
  randomAt += VISITOR_ID_BYTES;
  return id;
}

export interface WaitingRoomCookieCodec {
  encode(pass: WaitingRoomPass): string;
  verify(raw: string | undefined, nowSeconds: number): PassCheck;
}

/** `secrets`: the current secret first, then older ones still accepted (each at least 32 characters). */
export function waitingRoomCookieCodec(secrets: string | readonly string[]): WaitingRoomCookieCodec {
  const list = typeof secrets === 'string' ? [secrets] : [...secrets];
  if (list.length === 0 || list.some((s) => s.length < 32)) throw new Error('waiting room cookie secrets must be at least 32 characters');
  const mac = (secret: string, value: string) => createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '');
  const signer = {
    sign: (value: string) => `${value}.${mac(list[0]!, value)}`,
    unsign(signed: string): { valid: boolean; renew: boolean; value: string | null } {
      const dot = signed.lastIndexOf('.');
      if (dot < 0) return { valid: false, renew: false, value: null };
      const value = signed.slice(0, dot);
      const given = Buffer.from(signed.slice(dot + 1));
      for (let i = 0; i < list.length; i++) {
        const expected = Buffer.from(mac(list[i]!, value));
        if (expected.length === given.length && timingSafeEqual(expected, given)) return { valid: true, renew: i > 0, value };
      }
      return { valid: false, renew: false, value: null };
    },
  };
  // Admitted shoppers' passes whose signature and shape have been checked, by their exact cookie value. An
  // admitted shopper brings the same value back for a tenth of their session (renewSession), and checking
  // its HMAC was about 2.5 µs of every one of their requests (5 on a busy machine). Only what the value
  // alone decides is kept; the times are checked against the clock on every request. Only values that
  // passed are kept, so a flood of forgeries cannot fill it; queued and entry passes are not kept either (a
  // queued shopper's pass changes at every refresh, an entry pass comes back once), so a surge's waiting
  // shoppers do not push the admitted ones out. At its bound it starts again (a few µs for each shopper once).
  const checked = new Map<string, { pass: Readonly<WaitingRoomPass>; resign: boolean }>();
  const checkSignatureAndShape = (raw: string): { pass: Readonly<WaitingRoomPass>; resign: boolean } | 'forged' | 'malformed' => {
    const known = checked.get(raw);
    if (known) return known;
    const signed = signer.unsign(raw);
    if (!signed.valid || signed.value === null) return PAYLOAD_WITH_SIGNATURE.test(raw) ? 'forged' : 'malformed';
    const m = PAYLOAD.exec(signed.value);
    if (!m) return 'malformed';
    const pass: WaitingRoomPass = Object.freeze({
      visitorId: m[1]!, state: m[2] === 'q' ? 'queued' : 'admitted', ticket: parseInt(m[3]!, 36),
      issuedAt: parseInt(m[4]!, 36), lastSeenAt: parseInt(m[5]!, 36), expiresAt: parseInt(m[6]!, 36),
      ...(m[2] === 'n' ? { uncounted: true } : {}),
    });
    if (!Number.isSafeInteger(pass.ticket) || pass.issuedAt > pass.lastSeenAt || pass.lastSeenAt > pass.expiresAt) return 'malformed';
    const result = { pass, resign: signed.renew };
    if (pass.state === 'admitted' && !pass.uncounted) {
      if (checked.size >= CHECKED_PASSES_KEPT) checked.clear();
      // A copy of the value: the one given is a slice of the request's whole Cookie header (the cookie
      // parser slices), and kept as a key it would keep that header alive, up to 16 KB a shopper.
      checked.set(Buffer.from(raw, 'latin1').toString('latin1'), result);
    }
    return result;
  };
  return {
    encode(pass) {
      if (!/^[A-Za-z0-9_-]{16}$/.test(pass.visitorId)) throw new Error('visitorId must be 16 base64url characters (newVisitorId())');
      if (!Number.isSafeInteger(pass.ticket) || pass.ticket < 0) throw new Error(`ticket must be a whole number >= 0, got ${pass.ticket}`);
      const t = (n: number) => Math.max(0, Math.floor(n)).toString(36);
      const payload = [FORMAT_VERSION, pass.visitorId, `${pass.state === 'queued' ? 'q' : pass.uncounted ? 'n' : 'a'}${pass.ticket.toString(36)}`,
        t(pass.issuedAt), t(pass.lastSeenAt), t(pass.expiresAt)].join('.');
      return signer.sign(payload);
    },
    verify(raw, nowSeconds) {
      if (raw === undefined || raw === '') return { valid: false, reason: 'missing' };
      if (raw.length > MAX_COOKIE_LENGTH) return { valid: false, reason: 'malformed' };
      const checkedPass = checkSignatureAndShape(raw);
      if (typeof checkedPass === 'string') return { valid: false, reason: checkedPass };
      const { pass, resign } = checkedPass;
      if (pass.issuedAt > nowSeconds + CLOCK_SKEW_SECONDS) return { valid: false, reason: 'malformed' };
      if (nowSeconds >= pass.expiresAt) return { valid: false, reason: 'expired' };
      return { valid: true, pass, resign };
    },
  };
}

/** A pass's shape with a signature after it: a failed signature on that shape is a forgery or an alteration. */
const PAYLOAD_WITH_SIGNATURE = new RegExp(`${PAYLOAD.source.slice(0, -1)}\\.[A-Za-z0-9+/]{43}$`);

/** Options for Fastify's reply.setCookie (the value is already signed: not `signed`). */
export function waitingRoomCookieOptions(pass: WaitingRoomPass, nowSeconds: number, secure: boolean) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure, maxAge: Math.max(0, pass.expiresAt - nowSeconds) };
}
