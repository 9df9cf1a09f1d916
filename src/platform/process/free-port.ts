// A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it): for servers a test starts,
// and the deployment `holdfast gameday` starts.
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
