// What the non-provider faults do where they are injected: CPU burned per payment job or per storefront
// request, added storefront latency, slow queries of one context (pg_sleep on the query's own connection,
// so a transaction holds its locks longer too) and a delaying TCP proxy in the path between two roles.
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { NamedQuery, QueryDelay } from '../platform/db/database.ts';
import type { FaultReader } from './fault-reader.ts';
import { isShopperRoute } from '../telemetry/index.ts';

/** A busy loop: the event loop (and a CPU) is held for `ms`. */
export function burnCpu(ms: number): void {
  const until = performance.now() + ms;
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
  if (x < 0) throw new Error('unreachable');
}

/** Before each payment job: payments.cpu. */
export function paymentJobFault(faults: FaultReader | undefined): () => void {
  return () => {
    const f = faults?.get('payments.cpu');
    if (f) burnCpu(f.msPerJob);
  };
}


/** storefront.cpu and storefront.latency on shopper-facing requests (operators can still clear them). */
export function installStorefrontFaults(app: FastifyInstance, faults: FaultReader | undefined): void {
  if (!faults) return;
  // A callback hook: without a fault (always, but on game days) it costs two map lookups, no promise.
  app.addHook('onRequest', (req, _reply, done) => {
    const cpu = faults.get('storefront.cpu');
    const latency = faults.get('storefront.latency');
    if (!cpu && !latency) { done(); return; }
    const path = req.url.split('?')[0] ?? '';
    if (!isShopperRoute(path)) { done(); return; }
    if (cpu) burnCpu(cpu.msPerRequest);
    if (!latency) { done(); return; }
    setTimeout(done, latency.latencyMs + Math.random() * (latency.jitterMs ?? 0));
  });
}

/** db.slow: how long the query runner holds the named queries of one context (on their own connection). */
export function dbSlowDelay(faults: FaultReader): QueryDelay {
  return (q: NamedQuery) => {
    const f = faults.get('db.slow');
    if (!f) return undefined;
    const context = q.name.split('.')[0];
    if (context !== f.context || Math.random() >= (f.rate ?? 1)) return undefined;
    return f.delayMs;
  };
}

export interface DelayProxy { url: string; close(): Promise<void> }

/**
 * A TCP proxy in front of `target` (http://host:port) that delays every chunk by `delayMs()` in each
 * direction, preserving order. With no delay it simply pipes. Used for network.latency.
 */
export async function startDelayProxy(target: string, delayMs: () => number): Promise<DelayProxy> {
  const upstream = new URL(target);
  const port = Number(upstream.port || (upstream.protocol === 'https:' ? 443 : 80));
  const sockets = new Set<net.Socket>();
  const relay = (from: net.Socket, to: net.Socket) => {
    let chain = Promise.resolve();
    from.on('data', (chunk) => {
      const d = delayMs();
      if (d <= 0) { chain = chain.then(() => { if (!to.destroyed) to.write(chunk); }); return; }
      const due = Date.now() + d;
      chain = chain.then(() => new Promise<void>((r) => setTimeout(r, Math.max(0, due - Date.now())))).then(() => { if (!to.destroyed) to.write(chunk); });
    });
    from.on('end', () => { chain = chain.then(() => { to.end(); }); });
  };
  const server = net.createServer((client) => {
    const remote = net.connect(port, upstream.hostname);
    for (const s of [client, remote]) {
      sockets.add(s);
      s.on('close', () => { sockets.delete(s); });
      s.on('error', () => { client.destroy(); remote.destroy(); });
    }
    relay(client, remote);
    relay(remote, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port: local } = server.address() as net.AddressInfo;
  return {
    url: `${upstream.protocol}//127.0.0.1:${local}${upstream.pathname === '/' ? '' : upstream.pathname}`,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
