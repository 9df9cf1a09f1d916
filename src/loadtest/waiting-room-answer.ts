// What a waiting room's answer says without its body: Holdfast's `Holdfast-Waiting-Room` header, sent on
// every answer that keeps a shopper waiting (the HTML waiting page as well as its JSON form). A page step
// does not read the page's body, so the header is how a load tester's shopper on a page knows it waits.
import type { HttpOutcome } from './http-dispatch.ts';

/** Holdfast's `Holdfast-Waiting-Room` header, when the answer keeps the shopper waiting: `queued; position=12; wait=90; refresh=20`. */
export function waitingRoomHeader(outcome: HttpOutcome): { position: number | null; waitSeconds: number | null; refreshSeconds: number } | undefined {
  const raw = outcome.headers['holdfast-waiting-room'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string') return undefined;
  const [phase, ...params] = value.split(';').map((p) => p.trim());
  if (phase !== 'queued' && phase !== 'prequeue' && phase !== 'queue_full') return undefined;
  const num = (name: string) => {
    const p = params.find((x) => x.startsWith(`${name}=`));
    const n = p === undefined ? Number.NaN : Number(p.slice(name.length + 1));
    return Number.isFinite(n) ? n : null;
  };
  const refresh = num('refresh');
  return { position: num('position'), waitSeconds: num('wait'), refreshSeconds: refresh !== null && refresh >= 1 ? refresh : 1 };
}

