// Live progress while a run goes: one line redrawn in place on a terminal, or a plain line every few
// seconds when the output is a file or a CI log (no control characters there).
import { describeLoad } from './run-summary.ts';
import type { LiveStatus, ProgressSink } from './load-engine.ts';
import { clock, formatMs, formatNumber, formatPercent } from './load-units.ts';

export interface ProgressOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Seconds between plain lines when not a TTY. */
  plainIntervalSec?: number;
  /** Force plain lines even on a TTY. */
  plain?: boolean;
}

function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

function statusText(live: LiveStatus, open: boolean): string {
  const p = live.latest;
  const rate = p ? p.responses / p.width : 0;
  const planned = p ? p.planned : 0;
  const errors = live.totals.errors;
  const parts = [
    `rate ${formatNumber(rate, rate < 100 ? 1 : 0)} req/s`,
    open ? `(target ${formatNumber(planned, planned < 100 ? 1 : 0)} it/s)` : `(${formatNumber(planned)} VUs)`,
    `p50 ${formatMs(live.p50Ms)}`,
    `p99 ${formatMs(live.p99Ms)}`,
    `errors ${formatNumber(errors)} (${formatPercent(live.totals.responses ? errors / live.totals.responses : 0, 1)})`,
  ];
  if (open) parts.push(`dropped ${formatNumber(live.totals.dropped)}`);
  parts.push(`in flight ${p ? p.inFlight : 0}`);
  return parts.join('  ');
}

export function createProgress(opts: ProgressOptions): ProgressSink {
  const tty = !opts.plain && opts.stream.isTTY === true;
  const interval = (opts.plainIntervalSec ?? 5) * 1000;
  let lastPlain = 0;
  let open = true;
  let drawn = false;
  let last: LiveStatus | undefined;
  return {
    start(info) {
      open = info.load.executor.endsWith('arrival-rate');
      opts.stream.write(`${info.scenario} → ${info.target}  (${describeLoad(info.load)}; ${info.workers} worker thread(s))\n`);
      lastPlain = Date.now();
    },
    tick(live) {
      last = live;
      const head = `${clock(Math.min(live.elapsedSec, live.plannedSec))}/${clock(live.plannedSec)}${live.stopping ? ' stopping' : ''}`;
      if (tty) {
        const width = Math.max(40, (opts.stream.columns ?? 120) - 1);
        const line = `${bar(live.elapsedSec / live.plannedSec, 20)} ${head}  ${statusText(live, open)}`;
        opts.stream.write(`\r\x1b[2K${line.slice(0, width)}`);
        drawn = true;
      } else if (Date.now() - lastPlain >= interval) {
        lastPlain = Date.now();
        opts.stream.write(`[loadtest ${head}] ${statusText(live, open)}\n`);
      }
    },
    stop() {
      if (tty && drawn) opts.stream.write('\r\x1b[2K');
      if (last) opts.stream.write(`[loadtest done ${clock(last.elapsedSec)}] ${formatNumber(last.totals.responses)} requests, ${formatNumber(last.totals.errors)} errors${open ? `, ${formatNumber(last.totals.dropped)} dropped` : ''}\n`);
    },
  };
}
