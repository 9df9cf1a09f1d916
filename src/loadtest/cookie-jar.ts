// A shopper's cookies for one iteration of a journey: what the target set with Set-Cookie is sent back
// with every later request of the same iteration, as a browser would; the next iteration is a new shopper
// with an empty jar. One target origin per run, so a cookie's Domain and Path are not matched: every
// cookie goes with every request of the iteration (Holdfast sets its cookies on `/`). Secure and HttpOnly
// say nothing to a load generator. Max-Age and Expires are honoured (0 or past: the cookie is removed).

export class CookieJar {
  readonly #cookies = new Map<string, { value: string; expiresAt: number }>();

  /** Takes the Set-Cookie header(s) of a response. `now`: Date.now(). */
  store(setCookie: string | string[] | undefined, now = Date.now()): void {
    if (setCookie === undefined) return;
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) this.#storeOne(line, now);
  }

  /** The Cookie header for a request now, or undefined with nothing to send. */
  header(now = Date.now()): string | undefined {
    if (this.#cookies.size === 0) return undefined;
    const pairs: string[] = [];
    for (const [name, c] of this.#cookies) {
      if (c.expiresAt <= now) this.#cookies.delete(name);
      else pairs.push(`${name}=${c.value}`);
    }
    return pairs.length ? pairs.join('; ') : undefined;
  }

  #storeOne(line: string, now: number): void {
    const parts = line.split(';');
    const first = parts[0]!;
    const eq = first.indexOf('=');
    if (eq <= 0) return; // RFC 6265 5.2: no name, or no '=': ignored
    const name = first.slice(0, eq).trim();
    const value = first.slice(eq + 1).trim();
    if (!name) return;
    let expiresAt = Infinity;
    let maxAgeSeen = false;
    for (let i = 1; i < parts.length; i++) {
      const attr = parts[i]!;
      const aeq = attr.indexOf('=');
      const key = (aeq < 0 ? attr : attr.slice(0, aeq)).trim().toLowerCase();
      const val = aeq < 0 ? '' : attr.slice(aeq + 1).trim();
      // Max-Age wins over Expires whatever their order (RFC 6265 5.3 step 3).
      if (key === 'max-age' && /^-?\d+$/.test(val)) { maxAgeSeen = true; expiresAt = Number(val) <= 0 ? 0 : now + Number(val) * 1000; }
      else if (key === 'expires' && !maxAgeSeen) {
        const at = Date.parse(val);
        if (Number.isFinite(at)) expiresAt = at;
      }
    }
    if (expiresAt <= now) this.#cookies.delete(name);
    else this.#cookies.set(name, { value, expiresAt });
  }
}
