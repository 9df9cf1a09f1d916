// The listing's price and newest orders read the active products in index order and stop after a page:
// with 20,000 products, the planner answers a first page and a cursor page of each order from its index,
// with no sort of every active product.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { seedDemoCatalog } from '../../src/catalog/index.ts';
import { CatalogQueries } from '../../src/catalog/catalog-queries.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
  await db.pool.query('DELETE FROM products');
  await seedDemoCatalog(db.pool, 20_000);
  await db.pool.query('ANALYZE products');
});
after(async () => { await db?.drop(); });

/** The plan's node types and index names, flattened. */
async function planOf(text: string, params: unknown[]): Promise<{ nodes: string[]; indexes: string[] }> {
  const res = await db.pool.query(`EXPLAIN (FORMAT JSON) ${text}`, params);
  const nodes: string[] = [];
  const indexes: string[] = [];
  const walk = (n: Record<string, unknown>) => {
    nodes.push(String(n['Node Type']));
    if (n['Index Name']) indexes.push(String(n['Index Name']));
    for (const child of (n.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk((res.rows[0]['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]!.Plan);
  return { nodes, indexes };
}

test('price and newest pages come from their indexes, first page and cursor page, with no sort', async () => {
  const cases: [string, string, unknown[]][] = [
    ['price ascending, first page', CatalogQueries.byPriceAsc.text, [null, null, null, null, 25]],
    ['price ascending, a cursor page', CatalogQueries.byPriceAsc.text, [null, null, 5000, '00000000-0000-4000-8000-000000000000', 25]],
    ['price descending, first page', CatalogQueries.byPriceDesc.text, [null, null, null, null, 25]],
    ['newest, first page', CatalogQueries.newest.text, [null, null, null, null, 25]],
    ['newest, a cursor page', CatalogQueries.newest.text, [null, null, '2026-01-01 00:00:00+00', '00000000-0000-4000-8000-000000000000', 25]],
  ];
  for (const [what, text, params] of cases) {
    const plan = await planOf(text, params);
    assert.ok(!plan.nodes.includes('Sort'), `${what}: sorted every active product (${plan.nodes.join(' > ')})`);
    assert.ok(plan.indexes.some((i) => i === 'products_price_idx' || i === 'products_newest_idx'), `${what}: ${plan.nodes.join(' > ')} ${plan.indexes.join(', ')}`);
  }
});
