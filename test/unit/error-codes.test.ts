// Keeps docs/errors.md and the error registry in step (in the style of Fastify's errors-doc test): every
// code any context declares is documented with its status and context, and nothing is documented that the
// code no longer has. The fix for a failure is one command: `npm run docs:errors`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ERRORS_DOC, ROOT, errorModules, loadErrorRegistry, parseTable, type ErrorRow } from '../../scripts/gen-errors-doc.ts';

const FIX = 'run `npm run docs:errors` and commit docs/errors.md';

test('every context that declares errors is loaded', async () => {
  const modules = await errorModules();
  // The commerce contexts at least; new contexts are found by reading the sources.
  for (const expected of ['src/platform/http/http-errors.ts', 'src/cart/cart-errors.ts', 'src/catalog/catalog-errors.ts',
    'src/checkout/checkout-errors.ts', 'src/inventory/inventory-errors.ts', 'src/orders/order-errors.ts']) {
    assert.ok(modules.includes(expected), `${expected} declares error codes but was not found`);
  }
});

test('error codes are stable identifiers with client or server error statuses', async () => {
  for (const e of await loadErrorRegistry()) {
    assert.match(e.code, /^[A-Z][A-Z0-9_]+$/, `${e.code} is not an UPPER_SNAKE_CASE code`);
    assert.ok(e.status >= 400 && e.status <= 599, `${e.code} has status ${e.status}`);
    assert.ok(e.meaning.trim().length > 0, `${e.code} has no message`);
  }
});

test('docs/errors.md lists exactly the registered error codes', async () => {
  const registry = await loadErrorRegistry();
  const documented = parseTable(await readFile(ERRORS_DOC, 'utf8'));
  const byCode = (rows: ErrorRow[]) => new Map(rows.map((r) => [r.code, r]));
  const inCode = byCode(registry);
  const inDocs = byCode(documented);

  // Every difference at once, so one look tells what changed.
  const problems: string[] = [];
  if (documented.length !== inDocs.size) problems.push('a code is listed twice');
  for (const r of registry) {
    const doc = inDocs.get(r.code);
    if (!doc) problems.push(`missing: ${r.code} (${r.status}, ${r.context})`);
    else if (JSON.stringify(doc) !== JSON.stringify(r)) problems.push(`out of date: ${r.code}: documented ${JSON.stringify(doc)}, declared ${JSON.stringify(r)}`);
  }
  for (const d of documented) if (!inCode.has(d.code)) problems.push(`no longer declared: ${d.code}`);
  assert.deepEqual(problems, [], `docs/errors.md and the error registry differ; ${FIX}:\n  ${problems.join('\n  ')}`);
});

test('every error code the sources emit directly is a registered one', async () => {
  // errorBody('CODE', …), new HttpError('CODE', …) and new DomainError('CODE', …) bypass the declarations; they must still use
  // documented codes.
  const registered = new Set((await loadErrorRegistry()).map((r) => r.code));
  const emitted = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const text = await readFile(full, 'utf8');
        for (const m of text.matchAll(/(?:errorBody|new HttpError|new DomainError)\(\s*'([A-Z0-9_]+)'/g)) emitted.set(m[1]!, path.relative(ROOT, full));
      }
    }
  };
  await walk(path.join(ROOT, 'src'));
  const unknown = [...emitted].filter(([code]) => !registered.has(code)).map(([code, file]) => `${code} (${file})`);
  assert.deepEqual(unknown, [], `codes emitted but not declared with defineErrors(): ${unknown.join(', ')}`);
});
