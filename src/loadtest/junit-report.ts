// --out junit.xml: the run as JUnit XML, the format CI systems (GitHub Actions' test reporters, GitLab,
// Jenkins, Azure Pipelines, CircleCI) show as test results. One suite of the thresholds (one testcase each,
// a <failure> with what was observed when it was breached: they set the exit code) and one suite of the
// checks (one testcase per step and check, a <failure> saying how many failed when any did; checks alone
// do not set the exit code, as in k6: a `checks>0.99` threshold does).
import type { RunResult } from './run-result.ts';
import { formatPercent } from './load-units.ts';

// XML 1.0 allows tab, newline, carriage return and the characters from U+0020 up (minus surrogates' halves
// and U+FFFE/U+FFFF); anything else (a control character in a server's error message) is dropped.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const xml = (s: string) => s.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

interface Case { name: string; classname: string; failure?: { message: string; type: string; text: string }; out?: string }

function suite(name: string, cases: Case[], r: RunResult): string {
  const failures = cases.filter((c) => c.failure).length;
  const body = cases.map((c) => {
    const open = `    <testcase name="${xml(c.name)}" classname="${xml(c.classname)}" time="0"`;
    const inner = [
      c.failure ? `      <failure message="${xml(c.failure.message)}" type="${xml(c.failure.type)}">${xml(c.failure.text)}</failure>` : '',
      c.out ? `      <system-out>${xml(c.out)}</system-out>` : '',
    ].filter(Boolean);
    return inner.length ? `${open}>\n${inner.join('\n')}\n    </testcase>` : `${open}/>`;
  });
  return `  <testsuite name="${xml(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${r.elapsedSec.toFixed(3)}" timestamp="${xml(r.startedAt.replace(/\.\d+Z$/, ''))}">\n`
    + (body.length ? `${body.join('\n')}\n` : '') + '  </testsuite>';
}

export function renderJunitReport(r: RunResult): string {
  const base = `holdfast.loadtest.${r.scenario.name.replace(/[^A-Za-z0-9_-]+/g, '_')}`;
  const thresholds: Case[] = r.thresholds.map((t) => ({
    name: `${t.scope}: ${t.threshold}`,
    classname: `${base}.thresholds`,
    out: `observed ${t.observedText}`,
    ...(t.pass ? {} : { failure: { type: 'threshold', message: `${t.threshold} breached for ${t.scope}: observed ${t.observedText}`, text: `target ${r.target}; ${r.totals.requests} requests` } }),
  }));
  const checks: Case[] = r.steps.flatMap((s) => s.checks.map((c) => {
    const total = c.pass + c.fail;
    const summary = `${c.pass} of ${total} passed (${formatPercent(c.pass / Math.max(1, total))})`;
    return {
      name: `${s.key}: ${c.name}`, classname: `${base}.checks`, out: summary,
      ...(c.fail ? { failure: { type: 'check', message: `${c.fail} of ${total} failed: ${c.name}`, text: `${s.method} ${s.url}` } } : {}),
    };
  }));
  const all = [...thresholds, ...checks];
  const failures = all.filter((c) => c.failure).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n`
    + `<testsuites name="holdfast loadtest ${xml(r.scenario.name)}" tests="${all.length}" failures="${failures}" errors="0" time="${r.elapsedSec.toFixed(3)}">\n`
    + `${suite(`${r.scenario.name}: thresholds`, thresholds, r)}\n${suite(`${r.scenario.name}: checks`, checks, r)}\n`
    + '</testsuites>\n';
}
