// The boundary check (scripts/check-boundaries.ts, .dependency-cruiser.mjs) fails on each kind of violation:
// a small source tree is written to a temporary directory, first clean (no violation: the check is not
// failing everything), then with one violation of each rule added.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkBoundaries } from '../../scripts/check-boundaries.ts';

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdfast-boundaries-'));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

/** A layout that keeps every rule: app wires contexts through index.ts; a context uses platform and another's index. */
const CLEAN: Record<string, string> = {
  'src/platform/db/database.ts': `export const query = (text: string) => text;\n`,
  'src/platform/http/http-errors.ts': `export const STATUS = { not_found: 404 };\n`,
  'src/orders/order-routes.ts': `import { STATUS } from '../platform/http/http-errors.ts';\nimport { getOrder } from './order-service.ts';\nexport const routes = [STATUS, getOrder];\n`,
  'src/telemetry/metric-names.ts': `export const CHECKOUTS = 'holdfast_checkouts_total';\n`,
  'src/platform/observability/metrics.ts': `import { CHECKOUTS } from '../../telemetry/metric-names.ts';\nexport const names = [CHECKOUTS];\n`,
  'src/orders/order-service.ts': `import { query } from '../platform/db/database.ts';\nexport type Order = { id: string };\nexport const getOrder = (id: string) => query(id);\n`,
  'src/orders/index.ts': `export * from './order-service.ts';\n`,
  'src/payments/payment-service.ts': `import { getOrder, type Order } from '../orders/index.ts';\nexport const pay = (o: Order) => getOrder(o.id);\n`,
  'src/payments/index.ts': `export * from './payment-service.ts';\n`,
  'src/app/modules.ts': `import { pay } from '../payments/index.ts';\nimport { getOrder } from '../orders/index.ts';\nexport const modules = [pay, getOrder];\n`,
  'src/cli.ts': `import { modules } from './app/modules.ts';\nexport default modules;\n`,
};

async function violationsWith(extra: Record<string, string>) {
  const dir = await tree({ ...CLEAN, ...extra });
  try {
    return await checkBoundaries(['src'], dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a tree that keeps the rules has no violation', async () => {
  assert.deepEqual(await violationsWith({}), []);
});

test('each rule fails when it is broken', async () => {
  const cases: { rule: string; files: Record<string, string> }[] = [
    {
      rule: 'no-cycle',
      // Type-only imports count.
      files: { 'src/orders/order-service.ts': `import type { pay } from '../payments/index.ts';\nexport type Order = { id: string; by?: typeof pay };\nexport const getOrder = (id: string) => id;\n` },
    },
    { rule: 'platform-imports-no-context', files: { 'src/platform/http/deps.ts': `import type { Order } from '../../orders/index.ts';\nexport type D = Order;\n` } },
    { rule: 'telemetry-contract-imports-nothing', files: { 'src/telemetry/route-classes.ts': `import { query } from '../platform/db/database.ts';\nexport const q = query;\n` } },
    { rule: 'context-through-index-only', files: { 'src/checkout/checkout-service.ts': `import { getOrder } from '../orders/order-service.ts';\nexport const c = getOrder;\n` } },
    { rule: 'domain-knows-no-http', files: { 'src/orders/order-state.ts': `import { STATUS } from '../platform/http/http-errors.ts';\nexport const s = STATUS;\n` } },
    { rule: 'app-through-index-only', files: { 'src/app/extra.ts': `import { pay } from '../payments/payment-service.ts';\nexport const p = pay;\n` } },
    { rule: 'nothing-imports-app', files: { 'src/orders/wiring.ts': `import { modules } from '../app/modules.ts';\nexport const m = modules;\n` } },
  ];
  for (const c of cases) {
    const found = await violationsWith(c.files);
    // Only that rule: each case is checked afresh (nothing of an earlier tree is remembered).
    assert.deepEqual([...new Set(found.map((v) => v.rule))], [c.rule], JSON.stringify(found));
  }
});
