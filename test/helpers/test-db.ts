// Each test file gets its own database, cloned from a migrated and seeded template (see scripts/test.ts).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEMPLATE_DB = 'holdfast_test_template';

function adminUrl(): string {
  const url = process.env.HOLDFAST_TEST_PG_URL;
  if (!url) throw new Error('HOLDFAST_TEST_PG_URL is not set: run the tests with `npm test`.');
  return url;
}

export interface TestDatabase { url: string; name: string; pool: pg.Pool; drop(): Promise<void> }

/** `empty`: a database with nothing in it (no migrations, no catalog), as a first start sees it. */
export async function createTestDatabase(opts: { empty?: boolean } = {}): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  // CREATE DATABASE ... TEMPLATE needs the template to have no other sessions; retry briefly if busy.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(opts.empty ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`);
      break;
    } catch (err) {
      if (attempt > 50 || (err as { code?: string }).code !== '55006') throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 5 });
  pool.on('error', () => {});
  return {
    url: url.toString(), name, pool,
    drop: async () => {
      await pool.end();
      const c = new pg.Client({ connectionString: adminUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
