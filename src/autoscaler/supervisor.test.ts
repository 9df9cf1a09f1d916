// The supervisor with stand-in role processes (a small script that reports ready over the IPC channel and
// exits on SIGTERM): the roles start control first, a killed child is restarted with backoff and reported to
// the control role, replicas follow setReplicas within the local maximum, and stop() stops every child.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../platform/observability/logger.ts';
import { Supervisor, restartDelayMs, DEFAULT_RESTART_BACKOFF } from './supervisor.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-supervisor-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Stands in for `holdfast start --target <role>`: ready at once, load every 100 ms, the control role echoes
// what the supervisor tells it to a file, and every child exits 0 on SIGTERM.
const ROLE_SCRIPT = path.join(dir, 'role.mjs');
writeFileSync(ROLE_SCRIPT, `
import { appendFileSync } from 'node:fs';
const role = process.argv[process.argv.indexOf('--target') + 1];
process.send({ type: 'holdfast:ready' });
setInterval(() => process.send({ type: 'holdfast:load', load: { eventLoopUtilization: 0.1, cpuCores: 0.05, requestsInFlight: 0, requestsPerSecond: 0, atMs: Date.now(), windowMs: 100 } }), 100);
if (role === 'control') process.on('message', (m) => { if (m.type !== 'holdfast:replicas') appendFileSync(process.env.LOG_FILE, JSON.stringify(m) + '\\n'); });
process.on('SIGTERM', () => process.exit(0));
`);

const logger = createLogger({ level: 'silent', service: 'supervisor-test' });

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(25);
  }
}

test('restart delays double from the initial delay up to the maximum', () => {
  assert.deepEqual([1, 2, 3, 4, 7, 20].map((n) => restartDelayMs(n, DEFAULT_RESTART_BACKOFF)), [200, 400, 800, 1600, 10_000, 10_000]);
});

test('the supervisor starts every role, restarts a killed child and tells the control role, scales within bounds and stops everything', async () => {
  const logFile = path.join(dir, 'control.log');
  writeFileSync(logFile, '');
  const supervisor = new Supervisor({
    cliPath: ROLE_SCRIPT, logger, stopGraceMs: 5000, env: { ...process.env, LOG_FILE: logFile },
    initialReplicas: { control: 1, psp: 1, payments: 1, storefront: 2 },
    maxReplicas: { control: 1, psp: 1, payments: 3, storefront: 2 },
    roleEnv: () => ({}),
    backoff: { initialMs: 50, maxMs: 1000, resetAfterMs: 60_000 },
  });
  try {
    await supervisor.start();
    const ready = () => supervisor.replicas().filter((r) => r.readySinceMs !== undefined);
    await until('every replica ready', () => ready().length === 5);
    assert.deepEqual(supervisor.replicas().map((r) => r.replica).sort(), ['control-0', 'payments-0', 'psp-0', 'storefront-0', 'storefront-1']);
    await until('load reported', () => supervisor.replicas().every((r) => r.load?.eventLoopUtilization === 0.1));

    // A SIGKILLed child is replaced, counted, and the control role hears of both.
    const victim = supervisor.replicas().find((r) => r.replica === 'payments-0')!;
    process.kill(victim.pid!, 'SIGKILL');
    const replacement = await until('payments-0 replaced', () => supervisor.replicas().find((r) => r.replica === 'payments-0' && r.pid !== undefined && r.pid !== victim.pid));
    assert.notEqual(replacement.pid, victim.pid);
    assert.equal(supervisor.restarts().payments, 1);
    const told = await until('the control role told', () => {
      const lines = readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      return lines.length >= 2 && lines;
    });
    assert.deepEqual(told.map((m: { type: string }) => m.type), ['holdfast:replica-exited', 'holdfast:replica-restarted']);
    assert.equal(told[0].signal, 'SIGKILL');
    assert.equal(told[0].replica, 'payments-0');

    // Scaling: up to the local maximum, and down, draining the highest-numbered replicas.
    supervisor.setReplicas('payments', 10);
    await until('payments at its local maximum', () => supervisor.replicas().filter((r) => r.role === 'payments' && r.readySinceMs !== undefined).length === 3);
    supervisor.setReplicas('payments', 1);
    await until('payments back to one', () => supervisor.replicas().filter((r) => r.role === 'payments').length === 1);
    assert.equal(supervisor.replicas().find((r) => r.role === 'payments')!.replica, 'payments-0');
    assert.equal(supervisor.restarts().payments, 1, 'a replica scaled down is not restarted');
  } finally {
    await supervisor.stop();
  }
  assert.deepEqual(supervisor.replicas(), [], 'every child stopped');
});
