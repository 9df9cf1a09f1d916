// A TCP port on 127.0.0.1 that nothing listens on right now: for servers a test starts, the deployment
// `holdfast gameday` starts, and the shops the bench starts.
import net from 'node:net';

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port with the next n - 1 free too (a server that listens on consecutive ports: the simulator, the supervisor's roles). */
export async function freePortRange(n: number): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p + n > 65535) continue;
    let ok = true;
    for (let i = 1; i < n && ok; i++) ok = await portFree(p + i);
    if (ok) return p;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * n consecutive free ports below Linux's ephemeral range (32768 and up). A port the OS picked (freePort)
 * lies in that range, and between the check and the server's bind an outgoing connection may take it as
 * its local port: a process that starts seconds later (a shop after its embedded PostgreSQL, a payments
 * replica after the deployment's others) then fails with EADDRINUSE (docs/scaling.md).
 */
export async function freePortsBelowEphemeral(n: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const first = 20_000 + Math.floor(Math.random() * (12_000 - n));
    let free = true;
    for (let i = 0; i < n && free; i++) free = await portFree(first + i);
    if (free) return first;
  }
  throw new Error(`no ${n} consecutive free ports between 20000 and 32000`);
}
