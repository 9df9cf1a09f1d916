// The suite registry: `npm run bench` runs the suites marked byDefault, in this order;
// `--suite a,b` picks others. To add a suite: write bench/suites/<name>.ts exporting a `Suite`
// (see bench/lib/suite.ts) that returns tables, checks, charts, notes and raw data, and list it here.
// bench/run.ts does the printing, the JSON, the HTML report and docs/performance.md for it.
//
// Planned (each lands with its issue):
// - checkout: orders accepted/s end to end (and orders paid/s with the simulator at 0 ms) as a ratio to
//   pgbench's TPC-B-like rate on the same PostgreSQL in the same run (issue 3, acceptance 5). Start
//   Holdfast with startHoldfast() (bench/lib/holdfast.ts), then use initPgbench()/runPgbench()
//   from bench/pgbench.ts with instance.pg.
import type { Suite } from '../lib/suite.ts';
import { catalogSuite } from './catalog.ts';
import { memorySuite } from './memory.ts';
import { pgbenchSuite } from './pgbench.ts';
import { checkoutSuite } from './checkout.ts';
import { telemetrySuite } from './telemetry.ts';
import { scalingSuite } from './scaling.ts';
import { loadgenSuite, loadgenMemorySuite } from './loadgen.ts';
import { overloadSuite } from './overload.ts';

export const SUITES: readonly Suite[] = [catalogSuite, memorySuite, checkoutSuite, pgbenchSuite, telemetrySuite, loadgenSuite, loadgenMemorySuite, overloadSuite, scalingSuite];

export function findSuite(name: string): Suite | undefined {
  return SUITES.find((s) => s.name === name);
}
