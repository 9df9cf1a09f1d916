// A local receiver of Holdfast's signed webhook, written the way a team consuming it would (its own
// HMAC check, not Holdfast's verify function, so a bug shared by signer and verifier cannot hide):
// 401 for a missing, wrong or stale signature (more than 300 s from the receiver's clock); 400 for a body
// that is not JSON; 200 otherwise. Deliveries are deduplicated by the Holdfast-Delivery header, as the
// documentation tells receivers to: a repeat is answered 200 and counted in `duplicates`.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ScriptedReceiver, parseJson, type Answer } from './scripted-receiver.ts';

const json = (status: number, body: unknown): Answer => ({ status, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
export const WEBHOOK_UNAVAILABLE: Answer = json(503, { error: 'unavailable' });

export class WebhookReceiver extends ScriptedReceiver {
  /** First delivery of each id: the parsed body. */
  readonly deliveries = new Map<string, { type: string; body: Record<string, unknown>; at: number }>();
  readonly duplicates: string[] = [];
  readonly rejected: { reason: string }[] = [];

  constructor(secret: string, opts: { toleranceSeconds?: number; nowMs?: () => number } = {}) {
    const tolerance = opts.toleranceSeconds ?? 300;
    const now = opts.nowMs ?? Date.now;
    super((req) => {
      const header = String(req.headers['holdfast-signature'] ?? '');
      const t = /(?:^|,)t=(\d+)/.exec(header)?.[1];
      const given = [...header.matchAll(/(?:^|,)v1=([0-9a-f]{64})/g)].map((m) => m[1]!);
      const reject = (reason: string) => { this.rejected.push({ reason }); return json(401, { error: reason }); };
      if (!t || given.length === 0) return reject('no signature');
      const expected = createHmac('sha256', secret).update(`${t}.${req.body}`).digest();
      if (!given.some((g) => timingSafeEqual(Buffer.from(g, 'hex'), expected))) return reject('signature mismatch');
      if (Math.abs(Math.floor(now() / 1000) - Number(t)) > tolerance) return reject('timestamp outside tolerance');
      const body = parseJson(req.body) as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object') return json(400, { error: 'not JSON' });
      const id = String(req.headers['holdfast-delivery'] ?? '');
      if (this.deliveries.has(id)) this.duplicates.push(id);
      else this.deliveries.set(id, { type: String(req.headers['holdfast-event'] ?? ''), body, at: Date.now() });
      return json(200, { received: true });
    });
  }
}
