// Prototype pollution, from the outside: the real `holdfast start` (target all, every role in one process,
// as `npm start` runs it) gets the requests that once wrote onto Object.prototype (query strings and
// form bodies with `__proto__[...]` and `constructor[prototype][...]` keys, with and without API keys;
// JSON bodies with `__proto__` and `constructor.prototype`) on every HTTP server it runs: the main port
// (storefront, admin, control) and both payment provider simulator ports. Ten seconds later the process
// must still be alive and serving: a fresh checkout is paid, PaymentIntents can be created and listed,
// and nothing it answers (JSON or /metrics) has grown an inherited field. Nothing in the server exists for
// this test; everything is judged by what an outside client sees.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { rawRequest, closeRawAgent, type RawResponse } from '../helpers/raw-http.ts';
import { placeOrder, productInStock, waitForSettlement, admin } from '../helpers/shop.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ADMIN_TOKEN = `pollution-admin-${randomBytes(12).toString('hex')}`;
const PSP_KEYS = { primary: 'sk_test_pollution_primary', secondary: 'sk_test_pollution_secondary' } as const;
/** The crash this guards against came 1-5 s after the request (prom-client's GC metric hit the inherited label). */
const SETTLE_MS = 10_000;

let child: ChildProcess | undefined;
let output = () => '';
let db: TestDatabase | undefined;
let dataDir: string | undefined;
after(async () => {
  closeRawAgent();
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child!.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  await db?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Running { main: string; psp: { primary: string; secondary: string }; output(): string }

/** `node src/cli.ts start` (target all, as `npm start`) on ports the OS picks, read from its own output. */
async function startHoldfast(): Promise<Running> {
  db = await createTestDatabase();
  dataDir = await mkdtemp(path.join(tmpdir(), 'holdfast-pollution-'));
  const proc = spawn(process.execPath, ['src/cli.ts', 'start'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root',
      // info: the simulator logs the ports it bound (HOLDFAST_PSP_*PORT=0 lets the OS pick them)
      LOG_LEVEL: 'info', DATABASE_URL: db.url, HOST: '127.0.0.1', PORT: '0', HOLDFAST_ADMIN_TOKEN: ADMIN_TOKEN,
      HOLDFAST_DATA_DIR: dataDir, HOLDFAST_SEED_ON_START: 'false', HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: '100000',
      HOLDFAST_PSP_PORT: '0', HOLDFAST_PSP_SECONDARY_PORT: '0',
      HOLDFAST_PSP_PRIMARY_SECRET_KEY: PSP_KEYS.primary, HOLDFAST_PSP_SECONDARY_SECRET_KEY: PSP_KEYS.secondary,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  proc.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  output = () => out;
  const deadline = Date.now() + 60_000;
  for (;;) {
    assert.ok(proc.exitCode === null && proc.signalCode === null, `holdfast start exited before it was running:\n${out}`);
    const main = /Holdfast is running \(all\): (http:\/\/\S+)/.exec(out)?.[1];
    const psp: Record<string, string> = {};
    for (const line of out.split('\n').slice(0, -1)) { // complete lines only
      if (!line.includes('payment provider simulator listening')) continue;
      const entry = JSON.parse(line) as { account: string; url: string };
      psp[entry.account] = entry.url;
    }
    if (main && psp.primary && psp.secondary) {
      return { main: main.replace('localhost', '127.0.0.1').replace(/\/$/, ''), psp: { primary: psp.primary, secondary: psp.secondary }, output: () => out };
    }
    assert.ok(Date.now() < deadline, `holdfast start not running after 60 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface Credentials { label: 'no key' | 'wrong key' | 'valid key'; headers: Record<string, string> }
const NO_KEY: Credentials = { label: 'no key', headers: {} };

/** Query strings that walked into Object.prototype (written raw: brackets unencoded, as a shell user types them). */
const POLLUTING_QUERIES = [
  '__proto__[polluted]=yes', '__proto__[expand]=x', '__proto__[expand][]=x', 'constructor[prototype][polluted]=yes',
  'constructor[prototype][expand]=x', '__proto__=polluted', 'toString[polluted]=yes', '%5F%5Fproto%5F%5F%5Bpolluted%5D=yes',
];
/** Form bodies: the same keys, and under metadata (a hash the simulator stores). */
const POLLUTING_FORMS = [
  ...POLLUTING_QUERIES.map((q) => `amount=1000&currency=usd&${q}`),
  'amount=1000&currency=usd&metadata[__proto__][polluted]=yes', 'amount=1000&currency=usd&metadata[constructor][prototype][polluted]=yes',
];
const POLLUTING_JSON = [
  '{"__proto__":{"polluted":"yes"}}', '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"cartId":"00000000-0000-4000-8000-000000000000","__proto__":{"polluted":"yes","expand":"x"}}',
  '{"items":[{"__proto__":{"polluted":"yes"}}],"constructor":{"prototype":{"polluted":"yes"}}}',
];

interface Sent { server: string; method: string; path: string; auth: Credentials['label']; json: boolean; res: RawResponse }

async function send(sent: Sent[], server: string, base: string, method: string, urlPath: string, auth: Credentials, body?: { type: Record<string, string>; text: string }) {
  const res = await rawRequest(base, { method, path: urlPath, headers: { ...auth.headers, ...(body?.type ?? {}) }, body: body?.text }).catch(async (err: Error) => {
    await new Promise((r) => setTimeout(r, 1000)); // long enough for a dying process's exit to be seen
    const state = child?.exitCode !== null || child?.signalCode !== null ? `the process has exited (${child?.exitCode ?? child?.signalCode})` : 'the process is still running';
    return assert.fail(`${server} ${method} ${urlPath} (${auth.label}) got no answer: ${err.message}; ${state}:\n${output().slice(-3000)}`);
  });
  sent.push({ server, method, path: urlPath, auth: auth.label, json: body?.type === JSON_TYPE, res });
}

/** Every polluting request to every server the process runs; each must be answered, and never with a 5xx. */
async function attack(running: Running): Promise<Sent[]> {
  const sent: Sent[] = [];
  for (const [account, base] of Object.entries(running.psp)) {
    const server = `psp ${account}`;
    const keys: Credentials[] = [NO_KEY, { label: 'wrong key', headers: bearer('sk_test_wrong_key') },
      { label: 'valid key', headers: bearer(PSP_KEYS[account as keyof typeof PSP_KEYS]) }];
    for (const auth of keys) {
      for (const q of POLLUTING_QUERIES) {
        for (const route of ['/v1/payment_intents', '/v1/payment_intents/search', '/v1/refunds', '/v1/payment_intents/pi_unknown']) {
          await send(sent, server, base, 'GET', `${route}?${q}`, auth);
        }
      }
      for (const form of POLLUTING_FORMS) {
        await send(sent, server, base, 'POST', '/v1/payment_intents', auth, { type: FORM, text: form });
        await send(sent, server, base, 'POST', '/v1/refunds', auth, { type: FORM, text: form });
      }
      for (const json of POLLUTING_JSON) await send(sent, server, base, 'POST', '/v1/payment_intents', auth, { type: JSON_TYPE, text: json });
      await send(sent, server, base, 'GET', `/healthz?${POLLUTING_QUERIES[0]}`, auth);
    }
  }
  // The main port: storefront API and pages, admin API (faults included) and, in one process, the control
  // role's routes and its OTLP receiver (nothing listens on controlPort separately).
  const main = running.main;
  for (const auth of [NO_KEY, { label: 'valid key', headers: bearer(ADMIN_TOKEN) } satisfies Credentials]) {
    for (const q of POLLUTING_QUERIES) {
      for (const route of ['/api/products', '/', '/products/x', '/api/admin/orders', '/api/admin/products', '/api/ops/alerts', '/api/ops/traces',
        '/api/admin/faults', '/metrics', '/readyz', '/v1/payment_intents']) {
        await send(sent, 'main', main, 'GET', `${route}?${q}`, auth);
      }
    }
    for (const json of POLLUTING_JSON) {
      for (const [method, route] of [['POST', '/api/carts'], ['POST', '/api/checkout'], ['POST', '/api/carts/00000000-0000-4000-8000-000000000000/items'],
        ['POST', '/api/admin/products'], ['PATCH', '/api/admin/products/00000000-0000-4000-8000-000000000000'], ['PUT', '/api/admin/faults/psp.latency'],
        ['POST', '/v1/traces']] as const) {
        await send(sent, 'main', main, method, route, auth, { type: JSON_TYPE, text: json });
      }
    }
    for (const form of POLLUTING_FORMS) {
      for (const route of ['/checkout', '/cart/items', '/api/carts', '/api/checkout']) {
        await send(sent, 'main', main, 'POST', route, auth, { type: FORM, text: form });
      }
    }
  }
  return sent;
}

/** Object paths in a JSON value whose key is one a polluted prototype would have supplied. */
function inheritedLooking(value: unknown, where = '$'): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [...(k === 'polluted' ? [`${where}.${k}`] : []), ...inheritedLooking(v, `${where}.${k}`)]);
}

async function pspCall(base: string, key: string, method: string, urlPath: string, form?: string) {
  const res = await rawRequest(base, { method, path: urlPath, headers: { ...bearer(key), ...(form !== undefined ? FORM : {}) }, body: form });
  return { ...res, json: JSON.parse(res.text) as any };
}

test('polluting requests to every server of `holdfast start` leave it serving, paying and unpolluted 10 s later', async (t) => {
  const running = await startHoldfast();
  const sent = await attack(running);
  t.diagnostic(`${sent.length} polluting requests sent: ${sent.filter((s) => s.server === 'main').length} to the main port, ${sent.filter((s) => s.server !== 'main').length} to the two simulator ports`);

  // Every request was answered (rawRequest rejects on a hang or a dropped connection), none with a 5xx.
  const serverErrors = sent.filter((s) => s.res.status >= 500).map((s) => `${s.server} ${s.method} ${s.path} (${s.auth}): ${s.res.status} ${s.res.text.slice(0, 160)}`);
  assert.deepEqual(serverErrors, [], 'no polluting request is answered with a 5xx');
  // The simulator authenticates before it reads a single parameter, and then names the prototype key as unknown.
  for (const s of sent.filter((x) => x.server.startsWith('psp') && x.path.startsWith('/v1/'))) {
    const label = `${s.server} ${s.method} ${s.path} (${s.auth})`;
    if (s.auth !== 'valid key') { assert.equal(s.res.status, 401, label); continue; }
    assert.ok(s.res.status === 400 || s.res.status === 404, `${label}: ${s.res.status} ${s.res.text}`);
  }
  const unknownProto = sent.find((s) => s.server === 'psp primary' && s.auth === 'valid key' && s.path === '/v1/payment_intents?__proto__[polluted]=yes');
  assert.deepEqual(JSON.parse(unknownProto!.res.text).error, {
    code: 'parameter_unknown', doc_url: 'https://stripe.com/docs/error-codes/parameter-unknown',
    message: 'Received unknown parameter: __proto__', param: '__proto__', type: 'invalid_request_error',
  });
  const metadataProto = sent.find((s) => s.server === 'psp primary' && s.auth === 'valid key' && s.method === 'POST' && s.path === '/v1/payment_intents'
    && s.res.text.includes('metadata[__proto__]'));
  assert.equal(metadataProto?.res.status, 400, 'metadata[__proto__][polluted]=yes is an invalid metadata value');
  // JSON bodies with __proto__ or constructor.prototype keys are refused by the main port's JSON parser
  // (Fastify's onProtoPoisoning/onConstructorPoisoning 'error'), unless the admin token is missing first.
  for (const s of sent.filter((x) => x.server === 'main' && x.json)) {
    const code = JSON.parse(s.res.text).error?.code;
    assert.ok((s.res.status === 400 && code === 'INVALID_JSON') || (s.res.status === 401 && s.auth === 'no key'),
      `${s.method} ${s.path} (${s.auth}) with a prototype key in its JSON body: ${s.res.status} ${s.res.text}`);
  }

  await new Promise((r) => setTimeout(r, SETTLE_MS));

  // Alive, ready and serving on every port.
  assert.ok(child!.exitCode === null && child!.signalCode === null, `the process is still running after ${SETTLE_MS} ms:\n${running.output().slice(-4000)}`);
  const ready = await rawRequest(running.main, { method: 'GET', path: '/readyz', headers: {} });
  assert.equal(ready.status, 200, ready.text);
  const answers: { what: string; text: string }[] = [];
  for (const [account, base] of Object.entries(running.psp)) {
    const key = PSP_KEYS[account as keyof typeof PSP_KEYS];
    const health = await rawRequest(base, { method: 'GET', path: '/healthz', headers: {} });
    assert.equal(health.status, 200, `${account} simulator healthz: ${health.text}`);
    // A PaymentIntent can still be created and listed: no inherited `expand` makes every call "unsupported".
    const created = await pspCall(base, key, 'POST', '/v1/payment_intents', 'amount=1500&currency=usd&metadata[order_id]=after-attack&payment_method_types[]=card');
    assert.equal(created.status, 200, `${account}: create after the attack: ${created.text}`);
    assert.equal(created.json.object, 'payment_intent');
    assert.deepEqual(created.json.metadata, { order_id: 'after-attack' });
    const listed = await pspCall(base, key, 'GET', '/v1/payment_intents?limit=3');
    assert.equal(listed.status, 200, `${account}: list after the attack: ${listed.text}`);
    assert.equal(listed.json.object, 'list');
    assert.ok(listed.json.data.some((pi: { id: string }) => pi.id === created.json.id), `${account}: the new intent is listed`);
    answers.push({ what: `${account} create`, text: created.text }, { what: `${account} list`, text: listed.text });
    const metrics = await rawRequest(base, { method: 'GET', path: '/metrics', headers: {} });
    assert.equal(metrics.status, 200, `${account} /metrics`);
    answers.push({ what: `${account} /metrics`, text: metrics.text });
  }

  // A shopper's purchase still goes all the way to paid.
  const product = await productInStock(running.main, 2);
  const order = await placeOrder(running.main, { productId: product.id, slug: product.slug });
  assert.equal(await waitForSettlement(running.main, order, 30_000), 'paid', 'a fresh checkout is paid after the attack');
  const orders = await admin(running.main, ADMIN_TOKEN, 'GET', '/api/admin/orders?limit=5');
  assert.equal(orders.status, 200, orders.text);
  const alerts = await admin(running.main, ADMIN_TOKEN, 'GET', '/api/ops/alerts');
  assert.equal(alerts.status, 200, alerts.text);
  const faults = await admin(running.main, ADMIN_TOKEN, 'GET', '/api/admin/faults');
  assert.equal(faults.status, 200, faults.text);
  const metrics = await rawRequest(running.main, { method: 'GET', path: '/metrics', headers: {} });
  assert.equal(metrics.status, 200);
  answers.push({ what: 'orders', text: orders.text }, { what: 'alerts', text: alerts.text }, { what: 'faults', text: faults.text },
    { what: 'main /metrics', text: metrics.text });

  // No answer grew an inherited field: JSON has no `polluted` key, and no metric a label named after one
  // (prom-client walks label objects with for...in, which is how the inherited label once crashed it).
  for (const a of answers) {
    if (a.what.endsWith('/metrics')) assert.doesNotMatch(a.text, /polluted|expand=/, `${a.what} has no inherited label`);
    else assert.deepEqual(inheritedLooking(JSON.parse(a.text)), [], `${a.what} has no inherited field`);
  }
  assert.ok(child!.exitCode === null && child!.signalCode === null, 'still running at the end');
});
