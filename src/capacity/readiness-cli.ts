// `holdfast readiness --peak <journeys/s> [--at <date>] [--scenario <name>] [--json]`: asks the running shop
// (found as `holdfast faults` finds it: HOLDFAST_URL, else HOST and PORT; the admin token) to judge a
// forecast peak against its latest recorded capacity and its scaling policy, and prints the verdict.
// Exit codes: 0 ready, 99 not ready (as the load tester's breached thresholds), 1 the shop could not
// answer, 2 usage.
import { parseArgs } from 'node:util';
import { shopAdminAccess } from '../platform/admin-token/admin-token.ts';
import { daysInMonth } from '../platform/time/calendar.ts';
import { STDIO, errorDetail, unreachable, type CliIo } from '../platform/cli/cli-io.ts';
import { formatPeakReadiness, type PeakReadiness } from './peak-readiness.ts';

export const READINESS_USAGE = `usage: holdfast readiness --peak <journeys/s> [--at <date>] [--scenario <name>] [--json]
  --peak <n>         the forecast peak, journeys (scenario iterations) per second, above 0
  --at <date>        when the peak is expected, ISO 8601 (2026-12-24 or 2026-12-24T18:00:00Z; default now)
  --scenario <name>  judge by the latest capacity run of this scenario (default: the latest run)
  --json             the report as JSON
Exit codes: 0 ready, 99 not ready, 1 the shop could not answer, 2 usage.
Environment: the shop's own (PORT, HOST, HOLDFAST_DATA_DIR, HOLDFAST_ADMIN_TOKEN); HOLDFAST_URL to reach it elsewhere.`;

/**
 * Why an ISO 8601 date or date-time names no moment of the calendar (2026-02-31, 2026-13-01, 24:00), or
 * undefined. A JavaScript Date rolls such a date over into the next month (2026-02-31 becomes 3 March), so
 * it is checked before one is made.
 */
export function calendarProblem(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const days = daysInMonth(year, month);
  if (days === undefined) return `there is no month ${m[2]}`;
  if (day < 1 || day > days) {
    const monthName = new Date(Date.UTC(2000, month - 1, 1)).toLocaleString('en', { month: 'long', timeZone: 'UTC' });
    return `${m[1]}-${m[2]}-${m[3]} does not exist: ${monthName} ${m[1]} has ${days} days`;
  }
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59)) return `${m[4]}:${m[5]}${m[6] === undefined ? '' : `:${m[6]}`} is not a time of day`;
  return undefined;
}

/** The --at argument as an instant: a date alone is midnight UTC; undefined when it is not ISO 8601 or names no moment of the calendar. */
export function parsePeakDate(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) || calendarProblem(text)) return undefined;
  const iso = text.length === 10 ? `${text}T00:00:00Z` : text.replace(' ', 'T');
  const d = new Date(/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export async function runReadinessCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = STDIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: { peak: { type: 'string' }, at: { type: 'string' }, scenario: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    }));
  } catch (err) {
    io.err(`holdfast readiness: ${(err as Error).message}\n${READINESS_USAGE}\n`);
    return 2;
  }
  if (values.help) { io.out(`${READINESS_USAGE}\n`); return 0; }
  const usage = (message: string) => { io.err(`holdfast readiness: ${message}\n${READINESS_USAGE}\n`); return 2; };
  if (values.peak === undefined) return usage('--peak <journeys/s> is required');
  const peak = Number(values.peak);
  if (!/^\d+(\.\d+)?$/.test(values.peak.trim()) || !(peak > 0)) return usage(`--peak ${values.peak}: a number of journeys per second above 0, e.g. --peak 120`);
  let at: Date | undefined;
  if (values.at !== undefined) {
    const problem = calendarProblem(values.at.trim());
    if (problem) return usage(`--at ${values.at}: ${problem}`);
    at = parsePeakDate(values.at.trim());
    if (!at) return usage(`--at ${values.at}: an ISO 8601 date or date-time, e.g. 2026-12-24 or 2026-12-24T18:00:00Z`);
  }
  let base: string;
  let token: string;
  try {
    ({ baseUrl: base, token } = await shopAdminAccess(env));
  } catch (err) {
    return usage((err as Error).message);
  }
  const qs = new URLSearchParams({ peak: String(peak), ...(at ? { at: at.toISOString() } : {}), ...(values.scenario ? { scenario: values.scenario } : {}) });
  const url = `${base}/api/ops/capacity/readiness?${qs}`;
  let report: PeakReadiness;
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
    const text = await res.text();
    if (!res.ok) {
      io.err(`holdfast readiness: ${base} answered HTTP ${res.status} ${errorDetail(text)}\n`);
      return res.status >= 400 && res.status < 500 && res.status !== 401 ? 2 : 1;
    }
    report = JSON.parse(text) as PeakReadiness;
  } catch (err) {
    io.err(`holdfast readiness: ${unreachable(base, err)}\n`);
    return 1;
  }
  io.out(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatPeakReadiness(report)}\n`);
  return report.verdict === 'ready' ? 0 : 99;
}
