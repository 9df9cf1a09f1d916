// Reader for the wide CSV layout used by root-cause research (RCAEval style): a `time` column in unix
// seconds, then one column per `<service>_<metric>`; an empty cell is a missing value. Line-oriented so a
// large file can be fed from a stream without holding its text twice.
import { splitColumnName, type MetricSeries, type Telemetry } from './time-series.ts';

export class CsvFormatError extends Error {
  override name = 'CsvFormatError';
}

const TIME_COLUMNS = new Set(['time', 'timestamp']);

/** Parses a cell: empty, `nan`, `null` and non-numbers are missing (NaN); +-inf is missing too. */
function cell(text: string | undefined): number {
  if (text === undefined) return NaN;
  const t = text.trim();
  if (t === '') return NaN;
  const v = Number(t);
  return Number.isFinite(v) ? v : NaN;
}

function splitLine(line: string): string[] {
  // The layout needs no quoting; tolerate simple double-quoted cells anyway.
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { out.push(cur); cur = ''; }
    else cur += ch;
  }
  out.push(cur);
  return out;
}

export interface WideCsvOptions {
  /** what to do with a column whose name has no `_`: skip it (default) or fail */
  onUnknownColumn?: 'skip' | 'fail';
}

/** Feed lines one at a time (header first), then call finish(). */
export class WideCsvParser {
  private timeIndex = -1;
  private columns: { index: number; service: string; metric: string }[] = [];
  private times: number[] = [];
  private values: number[][] = [];
  private lineNo = 0;
  private readonly opts: WideCsvOptions;

  constructor(opts: WideCsvOptions = {}) {
    this.opts = opts;
  }

  pushLine(raw: string): void {
    const line = raw.replace(/\r$/, '');
    this.lineNo++;
    if (this.lineNo === 1) {
      this.header(splitLine(line.replace(/^\uFEFF/, '')));
      return;
    }
    if (line.trim() === '') return;
    const cells = splitLine(line);
    const t = cell(cells[this.timeIndex]);
    if (!Number.isFinite(t)) throw new CsvFormatError(`line ${this.lineNo}: the time cell is not a number`);
    const prev = this.times[this.times.length - 1];
    if (prev !== undefined && t <= prev) throw new CsvFormatError(`line ${this.lineNo}: time ${t} is not after ${prev}`);
    this.times.push(t);
    for (let c = 0; c < this.columns.length; c++) this.values[c]!.push(cell(cells[this.columns[c]!.index]));
  }

  private header(names: string[]): void {
    this.timeIndex = names.findIndex((n) => TIME_COLUMNS.has(n.trim().toLowerCase()));
    if (this.timeIndex < 0) throw new CsvFormatError('the header has no `time` column');
    const seen = new Set<string>();
    names.forEach((raw, index) => {
      const name = raw.trim();
      if (index === this.timeIndex || TIME_COLUMNS.has(name.toLowerCase()) || name === '' || seen.has(name)) return;
      seen.add(name);
      const split = splitColumnName(name);
      if (!split) {
        if (this.opts.onUnknownColumn === 'fail') throw new CsvFormatError(`column "${name}" is not <service>_<metric>`);
        return;
      }
      this.columns.push({ index, ...split });
      this.values.push([]);
    });
  }

  finish(): Telemetry {
    if (this.lineNo === 0) throw new CsvFormatError('the file is empty');
    const timestamps = this.times;
    const series: MetricSeries[] = this.columns.map((c, i) => ({
      service: c.service, metric: c.metric, timestamps, values: this.values[i]!,
    }));
    return { series };
  }
}

export function parseWideCsv(text: string, opts?: WideCsvOptions): Telemetry {
  const parser = new WideCsvParser(opts);
  for (const line of text.split('\n')) parser.pushLine(line);
  return parser.finish();
}

/** Reads from any async source of lines (e.g. `readline` over a file stream). */
export async function readWideCsv(lines: AsyncIterable<string>, opts?: WideCsvOptions): Promise<Telemetry> {
  const parser = new WideCsvParser(opts);
  for await (const line of lines) parser.pushLine(line);
  return parser.finish();
}
