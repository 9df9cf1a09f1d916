// `holdfast loadtest` as users run it (child processes): thresholds decide the exit code (0 when met,
// 99 when breached, like k6), remote targets are refused without --allow-remote, scenario files work,
// progress degrades to plain lines off a terminal, and --out writes the JSON report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
let server: http.Server;
let base: string;
let dir: string;
let requestsSeen = 0;
/** Requests under /names/ (method, URL and body as received). */
const namesSeen: { method: string; url: string; body: string }[] = [];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'loadtest-cli-'));
  server = http.createServer((req, res) => {
    requestsSeen++;
    const send = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (req.url?.startsWith('/names/')) {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        namesSeen.push({ method: req.method!, url: req.url!, body });
        if (req.url === '/names/catalog') send(200, { item: { id: 'i-1' } });
        else send(req.method === 'POST' ? 201 : 200, {});
      });
    } else if (req.url === '/fast') send(200, { ok: true, id: 'abc' });
    else if (req.url === '/slow') setTimeout(() => send(200, { ok: true }), 40);
    else if (req.url === '/fail') send(500, { error: { code: 'BOOM', message: 'always fails' } });
    else if (req.url === '/items/abc') send(200, { name: 'thing' });
    else send(404, { error: { code: 'NOT_FOUND', message: 'no' } });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // stdout and stderr are pipes, not terminals: progress must come as plain lines.
    const child = spawn(process.execPath, [path.join(ROOT, 'src/cli.ts'), 'loadtest', ...args], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'test' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const kill = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.on('exit', (code) => { clearTimeout(kill); resolve({ code, stdout, stderr }); });
  });
}

test('a met threshold exits 0 and writes the JSON report', { timeout: 45_000 }, async () => {
  const out = path.join(dir, 'pass.json');
  const r = await cli(['http', '--url', `${base}/fast`, '--rate', '20', '--duration', '2s', '--threshold', 'p(99)<5s', '--threshold', 'error_rate<0.01', '--out', out, '--progress-interval', '0.5s']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /result: PASSED \(2 threshold\(s\) met\)/);
  const report = JSON.parse(await readFile(out, 'utf8'));
  assert.equal(report.schema, 'holdfast-loadtest/1');
  assert.equal(report.totals.iterations.scheduled, 40);
  assert.equal(report.totals.requests, 40);
  assert.equal(report.passed, true);
  // Not a terminal: plain progress lines, no cursor control.
  assert.match(r.stderr, /\[loadtest 00:0\d\/00:02\] rate /);
  assert.doesNotMatch(r.stderr, /\r|\x1b\[/);
});

test('a breached latency threshold exits 99 and says which', { timeout: 45_000 }, async () => {
  const r = await cli(['http', '--url', `${base}/slow`, '--rate', '20', '--duration', '2s', '--threshold', 'p(99)<5ms', '--quiet']);
  assert.equal(r.code, 99, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /✗ p\(99\)<5ms {2}\(observed \d+(\.\d+)? ms\)/);
  assert.match(r.stdout, /result: FAILED \(1 of 1 threshold\(s\) breached\)/);
});

test('a breached error-rate threshold exits 99, with the errors by kind and the server\'s error code', { timeout: 45_000 }, async () => {
  const r = await cli(['http', '--url', `${base}/fail`, '--rate', '10', '--duration', '2s', '--threshold', 'error_rate<0.01', '--quiet']);
  assert.equal(r.code, 99, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /errors: 100\.00% of requests \(20 unexpected status, 0 timeout, 0 connection\)/);
  assert.match(r.stdout, /http\/request: HTTP 500 BOOM ×20/);
});

test('a target that is not this machine is refused unless --allow-remote, and nothing is sent', { timeout: 45_000 }, async () => {
  const r = await cli(['http', '--url', 'http://192.0.2.10/', '--rate', '1', '--duration', '1s']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /refusing to send load to http:\/\/192\.0\.2\.10.*--allow-remote/s);
  const shop = await cli(['mixed', '--target-url', 'https://shop.example.com', '--duration', '1s']);
  assert.equal(shop.code, 2);
  assert.match(shop.stderr, /refusing to send load/);
});

test('a shop that is not running stops the run at setup with a hint (exit 1), before any load', { timeout: 45_000 }, async () => {
  const closed = await new Promise<number>((resolve) => {
    const probe = http.createServer();
    probe.listen(0, '127.0.0.1', () => { const { port } = probe.address() as AddressInfo; probe.close(() => resolve(port)); });
  });
  const r = await cli(['browse', '--target-url', `http://127.0.0.1:${closed}`, '--duration', '1s', '--quiet']);
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /setup failed against http:\/\/127\.0\.0\.1:\d+: setup\/catalog: .*ECONNREFUSED.*is the target running/);
});

test('a YAML scenario with extraction, checks and a step threshold', { timeout: 45_000 }, async () => {
  const file = path.join(dir, 'items.yaml');
  await writeFile(file, [
    'name: items',
    'load: { executor: constant-arrival-rate, rate: 10, duration: 2s }',
    'thresholds: ["checks>0.99"]',
    'journeys:',
    '  - name: browse',
    '    steps:',
    '      - name: list',
    '        get: /fast',
    '        extract: { itemId: $.id }',
    '        checks: { "is ok": { status: 200, jsonPath: $.ok, equals: true } }',
    '      - name: item',
    '        get: /items/{{itemId}}',
    '        checks: { "has a name": { jsonPath: $.name } }',
    '        thresholds: ["p(99)<5s"]',
    '',
  ].join('\n'));
  const out = path.join(dir, 'items.json');
  const before = requestsSeen;
  const ok = await cli([file, '--target-url', base, '--quiet', '--out', out]);
  assert.equal(ok.code, 0, `${ok.stdout}\n${ok.stderr}`);
  const report = JSON.parse(await readFile(out, 'utf8'));
  const item = report.steps.find((s: { key: string }) => s.key === 'browse/item');
  assert.equal(item.requests, 20, 'the second step used the id extracted by the first');
  assert.equal(requestsSeen - before, 40);
  assert.deepEqual(report.thresholds.map((t: { scope: string; pass: boolean }) => [t.scope, t.pass]), [['all requests', true], ['browse/item', true]]);

  // The same file with a check that fails: the checks threshold breaches.
  await writeFile(file, (await readFile(file, 'utf8')).replace('jsonPath: $.name', 'jsonPath: $.missing'));
  const bad = await cli([file, '--target-url', base, '--quiet']);
  assert.equal(bad.code, 99, bad.stdout);
  assert.match(bad.stdout, /✗ browse\/item: has a name \(20 of 20 failed\)/);
});

test('names in a scenario are only names: a setup extract and a check called __proto__, a __proto__ key in a body, {{toString}}', { timeout: 45_000 }, async () => {
  const file = path.join(dir, 'names.yaml');
  await writeFile(file, [
    'name: names',
    'load: { executor: constant-arrival-rate, rate: 10, duration: 1s }',
    'data: { term: wool }',
    'setup:',
    '  - name: catalog',
    '    get: /names/catalog',
    '    extract: { __proto__: $.item }',
    'journeys:',
    '  - name: buy',
    '    steps:',
    '      - name: order',
    '        post: /names/orders/{{__proto__.id}}?term={{term}}',
    '        json: { __proto__: { polluted: "{{__proto__.id}}" }, n: 1 }',
    '        checks: { __proto__: { status: 201 } }',
    '      - name: inherited',
    '        get: /names/x/{{toString}}',
    '',
  ].join('\n'));
  const out = path.join(dir, 'names.json');
  const r = await cli([file, '--target-url', base, '--quiet', '--out', out]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(await readFile(out, 'utf8'));
  const step = (key: string) => report.steps.find((s: { key: string }) => s.key === key);
  // The setup's __proto__ variable reached every worker, with the data beside it.
  const orders = namesSeen.filter((s) => s.url.startsWith('/names/orders/'));
  assert.equal(orders.length, 10);
  for (const o of orders) {
    assert.equal(o.url, '/names/orders/i-1?term=wool');
    assert.equal(o.body, '{"__proto__":{"polluted":"i-1"},"n":1}');
  }
  assert.deepEqual(step('buy/order').checks, [{ name: '__proto__', pass: 10, fail: 0 }]);
  // {{toString}} is no variable: the request is never sent and the iteration fails on it.
  assert.equal(namesSeen.filter((s) => s.url.startsWith('/names/x/')).length, 0);
  assert.equal(step('buy/inherited').requests, 0);
  assert.deepEqual(step('buy/inherited').checks, [{ name: 'variables for the request ({{toString}}: no variable "toString" (not extracted by an earlier step?))', pass: 0, fail: 10 }]);
});

test('--export k6 prints a k6 script for a scenario', { timeout: 45_000 }, async () => {
  const r = await cli(['--export', 'k6', 'spike', '--duration', '60s']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^import http from 'k6\/http';$/m);
  assert.match(r.stdout, /"executor": "ramping-arrival-rate"/);
});
