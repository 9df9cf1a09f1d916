// Load tests only go to this machine unless the operator says otherwise: a mistyped URL must not turn
// into unsolicited traffic against someone's production site. Non-loopback hosts need --allow-remote.
import { isIP } from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', 'ip6-localhost', 'ip6-loopback']);

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (LOOPBACK_NAMES.has(host) || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(host);
  return false;
}

export class RemoteTargetError extends Error {}

/** Throws unless the URL is http(s) on loopback, or remote targets are allowed. Returns the parsed URL. */
export function assertAllowedTarget(url: string, allowRemote: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RemoteTargetError(`"${url}" is not a URL (example: http://localhost:3000)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new RemoteTargetError(`${url}: only http and https targets are supported`);
  if (!allowRemote && !isLoopbackHost(parsed.hostname)) {
    throw new RemoteTargetError(`refusing to send load to ${parsed.origin}: it is not on this machine (loopback). `
      + 'Load-testing a remote system needs its owner\'s consent; pass --allow-remote to confirm you have it.');
  }
  return parsed;
}

/** A cached per-origin check for the hot path (steps may use absolute URLs). */
export function originGuard(allowRemote: boolean): (origin: string) => boolean {
  const cache = new Map<string, boolean>();
  // Most runs send every request to one origin: answering it from the last one skips the lookup.
  let lastOrigin = '';
  let lastOk = false;
  return (origin) => {
    if (origin === lastOrigin) return lastOk;
    let ok = cache.get(origin);
    if (ok === undefined) {
      try { assertAllowedTarget(origin, allowRemote); ok = true; } catch { ok = false; }
      if (cache.size < 1000) cache.set(origin, ok);
    }
    lastOrigin = origin;
    lastOk = ok;
    return ok;
  };
}
