// Suite "memory" (issue 2, acceptance 6): what `holdfast start` (target all) costs in memory at idle.
// Starts it on a fresh data dir, waits until /readyz answers, idles, then sums the resident set size
// (VmRSS from /proc/<pid>/status) of every Node process in its process tree. PostgreSQL's processes
// are reported separately: their RSS counts the shared buffer pool once per process, so their sum
// overstates real use; the proportional set size (PSS, shared pages split between sharers) is the
// honest total and is reported beside it. Target: Node processes under 250 MB.
import path from 'node:path';
import { startHoldfast } from '../lib/holdfast.ts';
import { isNodeProcess, isPostgresProcess, sleep } from '../lib/processes.ts';
import { check, fmt, kibToMB, type Suite, type SuiteContext, type SuiteOutcome } from '../lib/suite.ts';

export const NODE_RSS_TARGET_MB = 250;
const mb = (kib: number) => `${fmt(kibToMB(kib), 1)} MB`;

async function run(ctx: SuiteContext): Promise<SuiteOutcome> {
  ctx.progress('memory: starting Holdfast --target all on a fresh data dir');
  const hf = await startHoldfast({ name: 'memory', targets: 'all', dataDir: path.join(ctx.scratchDir, 'holdfast'), log: ctx.progress });
  try {
    ctx.progress(`memory: ready after ${fmt(hf.startupMs / 1000, 1)} s; idling ${ctx.options.idleSec} s`);
    await sleep(ctx.options.idleSec * 1000);
    const tree = hf.tree();
    if (!tree.length) throw new Error(`Holdfast (pid ${hf.pid}) is no longer running:\n${hf.process.output()}`);
    const node = tree.filter(isNodeProcess);
    const postgres = tree.filter((p) => !isNodeProcess(p) && isPostgresProcess(p));
    const other = tree.filter((p) => !isNodeProcess(p) && !isPostgresProcess(p));
    const sum = (list: typeof tree, f: (p: (typeof tree)[number]) => number) => list.reduce((n, p) => n + f(p), 0);
    const nodeRss = sum(node, (p) => p.rssKiB);
    const pgRss = sum(postgres, (p) => p.rssKiB);
    const pssKnown = postgres.every((p) => p.pssKiB !== undefined);
    const pgPss = pssKnown ? sum(postgres, (p) => p.pssKiB!) : Number.NaN;
    const otherRss = sum(other, (p) => p.rssKiB);
    ctx.progress(`memory: ${node.length} Node process(es) ${mb(nodeRss)} RSS; ${postgres.length} PostgreSQL process(es) ${mb(pgRss)} RSS${pssKnown ? ` (${mb(pgPss)} PSS)` : ''}`);
    const label = (p: (typeof tree)[number]) => isNodeProcess(p) ? p.cmdline.replace(/^\S*node\S*\s+/, 'node ') : p.cmdline;
    return {
      tables: [
        {
          title: `Memory of \`holdfast start\` (target all) after ${ctx.options.idleSec} s idle, fresh data dir`,
          headers: ['Measure', 'Value', 'Target'],
          rows: [
            [`Node processes (${node.length}), total RSS`, mb(nodeRss), `< ${NODE_RSS_TARGET_MB} MB`],
            [`PostgreSQL processes (${postgres.length}), total RSS`, mb(pgRss), 'reported only'],
            ['PostgreSQL processes, total PSS (shared memory counted once)', pssKnown ? mb(pgPss) : 'n/a', 'reported only'],
            ...(other.length ? [[`Other processes (${other.length}), total RSS`, mb(otherRss), 'reported only']] : []),
            ['Start-up time (initdb, migrations, demo catalog, ready)', `${fmt(hf.startupMs / 1000, 1)} s`, 'reported only'],
          ],
        },
        {
          title: 'Process tree',
          headers: ['PID', 'Process', 'RSS', 'PSS'],
          rows: tree.map((p) => [String(p.pid), label(p).slice(0, 90), mb(p.rssKiB), p.pssKiB === undefined ? 'n/a' : mb(p.pssKiB)]),
          detail: true,
        },
      ],
      checks: [check('Node processes of --target all, RSS at idle', kibToMB(nodeRss), '<', NODE_RSS_TARGET_MB, 'MB')],
      charts: [{
        title: 'Resident memory at idle',
        unit: 'MB',
        bars: [
          { label: 'Node processes (RSS)', value: kibToMB(nodeRss), series: 'holdfast' },
          { label: 'PostgreSQL (RSS, shared counted per process)', value: kibToMB(pgRss), series: 'postgres' },
          ...(pssKnown ? [{ label: 'PostgreSQL (PSS)', value: kibToMB(pgPss), series: 'postgres' }] : []),
        ],
        target: { value: NODE_RSS_TARGET_MB, label: `Node target < ${NODE_RSS_TARGET_MB} MB` },
      }],
      notes: [
        'RSS is VmRSS from /proc/<pid>/status; MB are 10^6 bytes. PostgreSQL is started by Holdfast (embedded) and is part of its process tree, but is not counted against the Node target.',
      ],
      data: {
        startupMs: hf.startupMs,
        idleSec: ctx.options.idleSec,
        nodeRssMB: kibToMB(nodeRss),
        postgresRssMB: kibToMB(pgRss),
        postgresPssMB: pssKnown ? kibToMB(pgPss) : null,
        otherRssMB: kibToMB(otherRss),
        processes: tree.map((p) => ({
          pid: p.pid, ppid: p.ppid, comm: p.comm, cmdline: label(p), kind: isNodeProcess(p) ? 'node' : isPostgresProcess(p) ? 'postgres' : 'other',
          rssMB: kibToMB(p.rssKiB), pssMB: p.pssKiB === undefined ? null : kibToMB(p.pssKiB),
        })),
      },
    };
  } finally {
    ctx.progress('memory: stopping Holdfast and its PostgreSQL');
    await hf.stop();
  }
}

export const memorySuite: Suite = {
  name: 'memory',
  title: 'Memory at idle (issue 2, acceptance 6)',
  description: 'Resident memory of every Node process of `holdfast start` (target all) on a fresh data dir after start-up and a short idle; '
    + 'PostgreSQL reported separately. Target: under 250 MB.',
  byDefault: true,
  run,
};
