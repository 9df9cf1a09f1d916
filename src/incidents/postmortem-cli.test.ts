// `holdfast postmortem`: usage errors without a shop, and the draft fetched from a control role over a
// socket (a local stand-in answering as the ops API does), printed or written with its charts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runPostmortemCommand } from './postmortem-cli.ts';

const ID = '3f1c2a9e-8d4b-4c1e-9a57-0b6f2d7e9c11';
const io = () => { const out: string[] = []; const err: string[] = []; return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } }; };

test('usage: no incident, an unknown format or an extra argument is exit 2 with the usage', async () => {
  for (const argv of [[], [ID, '--format', 'pdf'], [ID, 'extra']]) {
    const r = io();
    assert.equal(await runPostmortemCommand(argv, {}, r.io), 2, argv.join(' '));
    assert.match(r.err.join(''), /usage: holdfast postmortem/);
  }
});

test('prints the Markdown, writes it with its charts with --out, and reports the API\'s error', async () => {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.url} ${req.headers.authorization}`);
    if (!req.url!.startsWith(`/api/ops/incidents/${ID}/`)) { res.writeHead(404, { 'content-type': 'application/json' }); res.end('{"error":{"code":"INCIDENT_NOT_FOUND","message":"No incident with that id"}}'); return; }
    if (req.url!.endsWith('format=json')) { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ markdown: '# Postmortem: x\n', charts: [{ file: `postmortem-${ID}-1.svg`, title: 't', svg: '<svg/>' }] })); return; }
    res.writeHead(200, { 'content-type': 'text/markdown' });
    res.end('# Postmortem: x\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const env = { HOLDFAST_CONTROL_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, HOLDFAST_ADMIN_TOKEN: 'test-admin-token-0123456789abcdef' };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'holdfast-pm-'));
  try {
    const printed = io();
    assert.equal(await runPostmortemCommand([ID], env, printed.io), 0, printed.err.join(''));
    assert.equal(printed.out.join(''), '# Postmortem: x\n');
    assert.equal(seen[0], `/api/ops/incidents/${ID}/postmortem?format=md Bearer ${env.HOLDFAST_ADMIN_TOKEN}`);
    const written = io();
    assert.equal(await runPostmortemCommand([ID, '--out', dir], env, written.io), 0, written.err.join(''));
    assert.deepEqual((await readdir(dir)).sort(), [`postmortem-${ID}-1.svg`, `postmortem-${ID}.md`]);
    assert.equal(await readFile(path.join(dir, `postmortem-${ID}-1.svg`), 'utf8'), '<svg/>');
    const missing = io();
    assert.equal(await runPostmortemCommand(['00000000-0000-0000-0000-000000000000'], env, missing.io), 1);
    assert.match(missing.err.join(''), /HTTP 404 INCIDENT_NOT_FOUND/);
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
