// Suite "pgbench" (opt-in: `--suite pgbench`): the PostgreSQL baseline on its own. Starts Holdfast
// (--target storefront) with its embedded PostgreSQL and runs pgbench's TPC-B-like script against that
// server, in a database of its own. The checkout suite (issue 3) will use the same helper
// (bench/pgbench.ts) inside its own run to report orders accepted per second as a ratio to this rate.
import path from 'node:path';
import { startHoldfast } from '../lib/holdfast.ts';
import { fmt, type Suite, type SuiteContext, type SuiteOutcome } from '../lib/suite.ts';
import { dropPgbenchDatabase, initPgbench, runPgbench } from '../pgbench.ts';

export const PGBENCH_CLIENTS = 10;
export const PGBENCH_THREADS = 2;

async function run(ctx: SuiteContext): Promise<SuiteOutcome> {
  const { options } = ctx;
  // Scale at least the number of clients: below it, TPC-B-like transactions queue on the few branch rows.
  const scale = Math.max(10, PGBENCH_CLIENTS);
  ctx.progress('pgbench: starting Holdfast --target storefront for its embedded PostgreSQL');
  const hf = await startHoldfast({ name: 'pgbench', targets: 'storefront', dataDir: path.join(ctx.scratchDir, 'holdfast'), log: ctx.progress });
  try {
    ctx.progress(`pgbench: initialising TPC-B tables at scale ${scale} on 127.0.0.1:${hf.pgPort}`);
    await initPgbench(hf.pg, { scale });
    const runs = [];
    for (let round = 1; round <= options.rounds; round++) {
      const r = await runPgbench(hf.pg, { clients: PGBENCH_CLIENTS, threads: PGBENCH_THREADS, durationSec: options.durationSec });
      ctx.progress(`pgbench: round ${round}/${options.rounds}: ${fmt(r.tps)} tps, latency ${fmt(r.latencyAvgMs, 2)} ms, ${r.failedTransactions} failed`);
      runs.push(r);
    }
    await dropPgbenchDatabase(hf.pg);
    const sorted = [...runs].sort((a, b) => a.tps - b.tps);
    const mid = sorted[Math.floor(sorted.length / 2)]!;
    return {
      tables: [{
        title: `pgbench TPC-B-like against Holdfast's embedded PostgreSQL (${mid.tool}; scale ${scale}, ${PGBENCH_CLIENTS} clients, ${PGBENCH_THREADS} threads, ${options.durationSec} s, median of ${runs.length})`,
        headers: ['Measure', 'Value'],
        rows: [
          ['Transactions per second', fmt(mid.tps)],
          ['Latency average', `${fmt(mid.latencyAvgMs, 2)} ms`],
          ['Failed transactions', String(mid.failedTransactions)],
        ],
      }],
      checks: [],
      charts: [{ title: 'pgbench TPC-B-like', unit: 'tps', bars: runs.map((r, i) => ({ label: `round ${i + 1}`, value: r.tps, series: 'postgres' })) }],
      notes: ['Baseline only, no target: the checkout suite (issue 3) reports its orders/s as a ratio to this rate measured in its own run.'],
      data: { scale, runs, medianTps: mid.tps },
    };
  } finally {
    ctx.progress('pgbench: stopping Holdfast and its PostgreSQL');
    await hf.stop();
  }
}

export const pgbenchSuite: Suite = {
  name: 'pgbench',
  title: 'PostgreSQL baseline (pgbench TPC-B-like)',
  description: 'pgbench\'s TPC-B-like transaction rate against Holdfast\'s embedded PostgreSQL: the baseline the checkout suite divides by.',
  byDefault: false,
  run,
};
