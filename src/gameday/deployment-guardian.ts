// The process between a game day and the shop it starts (run as a script: `node deployment-guardian.ts
// <json>`). The shop runs in a process group of its own (a Ctrl-C at the terminal reaches the game day
// only), so nothing takes it down when the game day is killed outright (SIGKILL: no exit handler runs).
// This guardian does: it holds an IPC channel to the game day, and when the channel closes with the game
// day gone (its process ended, however) it stops the shop (SIGTERM, then SIGKILL of its group after the
// grace period) and removes the shop's data dir. Asked to stop by the game day (SIGTERM) it stops the
// shop the same way and leaves the data dir to the game day. A shop that exits by itself ends the
// guardian with its exit code.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

export interface GuardianOrders {
  /** The shop's command line (after the node binary). */
  args: string[];
  dataDir: string;
  graceMs: number;
}

/** The guardian's messages to the game day. */
export type GuardianMessage = { type: 'shop-started'; pid: number };

const orders = JSON.parse(process.argv[2] ?? '{}') as GuardianOrders;
const shop = spawn(process.execPath, orders.args, { env: process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
// The game day reads the shop's output through the guardian; once the game day is gone, writes fail (EPIPE)
// and are dropped.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});
shop.stdout!.on('data', (chunk: Buffer) => { process.stdout.write(chunk); });
shop.stderr!.on('data', (chunk: Buffer) => { process.stderr.write(chunk); });
if (shop.pid) process.send?.({ type: 'shop-started', pid: shop.pid } satisfies GuardianMessage);

const killShopGroup = () => { try { if (shop.pid) process.kill(-shop.pid, 'SIGKILL'); } catch { /* gone */ } };
const shopExited = new Promise<number>((resolve) => shop.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));

let stopping = false;
async function stopShop(removeDataDir: boolean): Promise<never> {
  stopping = true;
  if (shop.exitCode === null && shop.signalCode === null) {
    shop.kill('SIGTERM');
    const timer = setTimeout(killShopGroup, orders.graceMs);
    await shopExited;
    clearTimeout(timer);
  }
  // Anything of the group still running (a replica whose parent died first, the embedded server).
  killShopGroup();
  if (removeDataDir) rmSync(orders.dataDir, { recursive: true, force: true, maxRetries: 5 });
  process.exit(0);
}

// The game day ended without stopping the shop (killed outright, or crashed).
process.on('disconnect', () => { if (!stopping) void stopShop(true); });
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => { if (!stopping) void stopShop(false); });
void shopExited.then((code) => { if (!stopping) { killShopGroup(); process.exit(code); } });
