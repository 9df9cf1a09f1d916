// --out: the report format follows the file name (.html, .json, .xml for JUnit); several --out may be given.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderHtmlReport } from './html-report.ts';
import { renderJunitReport } from './junit-report.ts';
import type { RunResult } from './run-result.ts';

export const REPORT_SCHEMA = 'holdfast-loadtest/1';

export function reportKind(file: string): 'html' | 'json' | 'junit' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.html' || ext === '.htm') return 'html';
  if (ext === '.json') return 'json';
  if (ext === '.xml') return 'junit';
  throw new Error(`--out ${file}: the report format comes from the file name: .html, .json or .xml (JUnit)`);
}

export function renderJsonReport(r: RunResult): string {
  return `${JSON.stringify({ schema: REPORT_SCHEMA, ...r }, null, 2)}\n`;
}

export async function writeReports(r: RunResult, files: string[]): Promise<string[]> {
  const written: string[] = [];
  for (const file of files) {
    const kind = reportKind(file);
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await writeFile(file, kind === 'html' ? renderHtmlReport(r) : kind === 'junit' ? renderJunitReport(r) : renderJsonReport(r));
    written.push(file);
  }
  return written;
}
