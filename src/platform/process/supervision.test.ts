// What a supervised replica reports over the IPC channel, measured in a real child process serving HTTP
// with Holdfast's server: ready, then every interval its load, including the requests it received per
// second (the autoscaler's request-rate metric).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildToSupervisor, ReplicaLoad } from './supervision.ts';

const here = import.meta.dirname;

test('a supervised replica reports the requests it received per second', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-supervision-'));
  const script = path.join(dir, 'replica.ts');
  writeFileSync(script, `
import { createHttpServer } from ${JSON.stringify(path.join(here, '../http/http-server.ts'))};
import { createLogger } from ${JSON.stringify(path.join(here, '../observability/logger.ts'))};
import { reportToSupervisor } from ${JSON.stringify(path.join(here, 'supervision.ts'))};
const app = await createHttpServer({ logger: createLogger({ level: 'silent', service: 'replica' }), bodyLimitBytes: 65536, rateLimitWritesPerMinute: 1000 });
app.get('/ping', async () => ({ ok: true }));
await app.listen({ port: 0, host: '127.0.0.1' });
process.send({ type: 'test:port', port: app.server.address().port });
reportToSupervisor(500);
process.on('SIGTERM', () => process.exit(0));
`);
  const child = fork(script, [], { env: { ...process.env, HOLDFAST_SUPERVISED_REPLICA: 'storefront-0' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const loads: ReplicaLoad[] = [];
    let ready = false;
    const port = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`the replica exited (${code})`)));
      child.on('message', (m: ChildToSupervisor | { type: 'test:port'; port: number }) => {
        if (m.type === 'test:port') resolve(m.port);
        else if (m.type === 'holdfast:ready') ready = true;
        else if (m.type === 'holdfast:load') loads.push(m.load);
      });
    });
    // 200 requests, as fast as they are answered, then a quiet interval
    for (let i = 0; i < 200; i++) assert.equal((await fetch(`http://127.0.0.1:${port}/ping`)).status, 200);
    const sent = Date.now();
    while (Date.now() - sent < 2500) await new Promise((r) => setTimeout(r, 100));
    assert.ok(ready, 'reported ready');
    const received = loads.reduce((n, l) => n + l.requestsPerSecond * (l.windowMs / 1000), 0);
    assert.ok(Math.abs(received - 200) < 0.5, `the reports add up to the 200 requests received (got ${received.toFixed(2)})`);
    assert.ok(loads.some((l) => l.requestsPerSecond > 0), 'a rate above 0 while they came');
    assert.equal(loads.at(-1)!.requestsPerSecond, 0, 'none in the quiet interval after');
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});
