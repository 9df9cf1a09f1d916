// `holdfast gameday <experiment>`: replays an incident against Holdfast and scores it (docs/gameday.md).
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { composeConfig, loadConfig } from '../platform/config/config.ts';
import { loadClientConfig } from '../platform/config/platform-config.ts';
import { readAdminToken } from '../platform/admin-token/admin-token.ts';
import { STDIO, type CliIo } from '../platform/cli/cli-io.ts';
import { parseDuration } from '../loadtest/index.ts';
import { pspConfig } from '../psp/index.ts';
import { builtinExperiment, builtinExperimentNames } from './builtin-experiments.ts';
import { ExperimentFileError, loadExperimentFile, scaleExperiment } from './experiment.ts';
import { renderGamedayHtml, formatScorecard } from './gameday-report.ts';
import { runGameday } from './gameday-runner.ts';

export const GAMEDAY_EXIT = { passed: 0, error: 1, usage: 2, thresholds: 99, interrupted: 130 } as const;

export const GAMEDAY_HELP = `holdfast gameday: replay an incident against Holdfast and score it against the original

Usage:
  holdfast gameday <experiment> [options]

  <experiment>           a built-in experiment (${builtinExperimentNames().join(', ')}) or an experiment file (.yaml, .yml, .json)

Options:
  --duration <d>         scale the experiment to this length (e.g. 3m): stages, faults and windows in proportion
  --target-url <url>     a running shop (its storefront) instead of a deployment of its own
  --ops-url <url>        with --target-url: the control role's URL (default: the target's, as in holdfast start)
  --psp-url <url>        with --target-url: a provider account whose ledger is read for double charges (repeatable)
  --out <file>           write the scorecard: .json or .html (repeatable)
  --workers <n>          load generator threads (default 1)
  --help                 this text

Without --target-url it starts its own shop (holdfast start --autoscale, or without --autoscale when the
experiment's deployment says so) with its own data dir and free ports, and stops it at the end; its output is
kept next to the first --out file (<name>.deployment.log), or without --out in the temp dir when the run
fails (the path is printed). The faults it sets are cleared at the end, on failure and on Ctrl-C. The
admin token for --target-url comes from HOLDFAST_ADMIN_TOKEN or HOLDFAST_DATA_DIR, as for holdfast faults.

Exit codes: 0 passed, 99 a threshold missed or a probe did not hold, 1 error, 2 usage, 130 interrupted.
`;

/**
 * Where the output of the game day's own shop is kept: next to the first --out file (always), or without
 * one in the temp dir (only when the run failed).
 */
function deploymentLogFile(outs: string[]): { file: string; always: boolean } {
  const first = outs[0];
  if (first) return { file: path.resolve(first.replace(/\.(json|html?)$/i, '.deployment.log')), always: true };
  return { file: path.join(os.tmpdir(), `holdfast-gameday-${new Date().toISOString().replace(/[:.]/g, '-')}.deployment.log`), always: false };
}

export async function runGamedayCommand(argv: string[], cliPath: string, io: CliIo = STDIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        duration: { type: 'string' }, 'target-url': { type: 'string' }, 'ops-url': { type: 'string' }, 'psp-url': { type: 'string', multiple: true },
        out: { type: 'string', multiple: true }, workers: { type: 'string' }, help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${GAMEDAY_HELP}`);
    return GAMEDAY_EXIT.usage;
  }
  const v = parsed.values;
  if (v.help) { io.out(GAMEDAY_HELP); return GAMEDAY_EXIT.passed; }
  const [name, ...extra] = parsed.positionals;
  if (!name || extra.length) { io.err(`name one experiment\n\n${GAMEDAY_HELP}`); return GAMEDAY_EXIT.usage; }
  const outs = v.out ?? [];
  for (const o of outs) if (!/\.(json|html?)$/i.test(o)) { io.err(`--out ${o}: a .json or .html file\n`); return GAMEDAY_EXIT.usage; }
  const workers = v.workers === undefined ? 1 : Number(v.workers);
  if (!Number.isInteger(workers) || workers < 1) { io.err('--workers must be a whole number ≥ 1\n'); return GAMEDAY_EXIT.usage; }
  if (!v['target-url'] && (v['ops-url'] || v['psp-url'])) { io.err('--ops-url and --psp-url go with --target-url\n'); return GAMEDAY_EXIT.usage; }

  let experiment;
  try {
    experiment = builtinExperiment(name) ?? (/\.(ya?ml|json)$/i.test(name) ? await loadExperimentFile(name) : undefined);
    if (!experiment) { io.err(`unknown experiment "${name}" (built in: ${builtinExperimentNames().join(', ')}; or a .yaml or .json file)\n`); return GAMEDAY_EXIT.usage; }
    if (v.duration !== undefined) {
      const seconds = parseDuration(v.duration, '--duration');
      if (!(seconds >= 30)) { io.err('--duration: at least 30s (the detector and the autoscaler need time to act)\n'); return GAMEDAY_EXIT.usage; }
      experiment = scaleExperiment(experiment, seconds);
    }
  } catch (err) {
    io.err(`${(err as Error).message}\n`);
    return err instanceof ExperimentFileError ? GAMEDAY_EXIT.usage : GAMEDAY_EXIT.error;
  }

  const env = process.env;
  let target;
  let pspKeys: string[] = [];
  if (v['target-url']) {
    try {
      // A target's simulator keys come from this environment; a deployment of the game day's own has its own.
      const psp = loadConfig(composeConfig(pspConfig), env, {}, { partial: true });
      pspKeys = [psp.pspPrimarySecretKey, psp.pspSecondarySecretKey];
      const client = loadClientConfig(env);
      const storefront = v['target-url'].replace(/\/+$/, '');
      target = {
        urls: { storefront, control: (v['ops-url'] ?? storefront).replace(/\/+$/, ''), psp: (v['psp-url'] ?? []).map((u) => u.replace(/\/+$/, '')) },
        adminToken: await readAdminToken(client.adminToken, client.dataDir),
      };
    } catch (err) {
      io.err(`${(err as Error).message}\n`);
      return GAMEDAY_EXIT.usage;
    }
  }

  // Ctrl-C (or SIGTERM): stop the run, clear the faults, stop what was started. A second one exits at once
  // (the faults' time to live clears them; the deployment's process group is killed on the way out).
  const cancel = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      io.err(`\n${signal}: stopping the game day: clearing the faults and stopping what it started (again to exit at once)\n`);
      cancel.abort();
    } else process.exit(GAMEDAY_EXIT.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    io.out(`game day ${experiment.name}: ${experiment.description ?? ''}\n`);
    const card = await runGameday({
      experiment, ...(target ? { target } : {}), pspKeys, cliPath, signal: cancel.signal, workers, deploymentLog: deploymentLogFile(outs),
      log: (line) => io.out(`${line}\n`),
    });
    io.out(`\n${formatScorecard(card)}`);
    for (const file of outs) {
      await writeFile(file, file.toLowerCase().endsWith('.json') ? `${JSON.stringify(card, null, 2)}\n` : renderGamedayHtml(card));
      io.out(`wrote ${path.resolve(file)}\n`);
    }
    if (cancel.signal.aborted) return GAMEDAY_EXIT.interrupted;
    return card.passed ? GAMEDAY_EXIT.passed : GAMEDAY_EXIT.thresholds;
  } catch (err) {
    io.err(`the game day failed: ${(err as Error).message}\n`);
    return cancel.signal.aborted ? GAMEDAY_EXIT.interrupted : GAMEDAY_EXIT.error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
