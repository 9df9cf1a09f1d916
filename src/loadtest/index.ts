// The load-testing context's public surface: run scenarios (built in, TypeScript, YAML/JSON), find
// capacity, export to k6, and the `holdfast loadtest` command. See docs/loadtest.md.
export { defineScenario } from './scenario-types.ts';
export type {
  CheckSpec, JourneySpec, LoadModel, ResponseView, ScenarioSource, ScenarioSpec, Stage, StepSpec, ThinkTime, Vars,
} from './scenario-types.ts';
export { builtinDescriptions, builtinScenario } from './builtin-scenarios.ts';
export { runLoadTest, prepareRun, DEFAULT_TARGET, type LoadTestOptions, type ProgressSink } from './load-engine.ts';
export type { RunResult, StepResult } from './run-result.ts';
export type { SeriesPoint } from './run-series.ts';
export { findCapacity, formatCapacityReport, type CapacityReport, type CapacityOptions } from './capacity-finder.ts';
export { exportK6Script } from './k6-export.ts';
export { renderHtmlReport, REPORT_CSS } from './html-report.ts';
export { lineChartSvg, type LineChart, type LineSeries, type ChartMarker } from './svg-charts.ts';
export { FieldReader, isObj, ScenarioFileError } from './scenario-file.ts';
export { formatDuration, formatMs, formatNumber, formatPercent, parseDuration } from './load-units.ts';
export { isBuiltin, builtinNames } from './builtin-scenarios.ts';
export { renderJsonReport, writeReports } from './report-files.ts';
export { formatSummary } from './run-summary.ts';
export { runLoadtestCommand, LOADTEST_HELP, EXIT as LOADTEST_EXIT_CODES } from './loadtest-cli.ts';
export type { ShopperRecord, SloRule, TraceOptions } from './shopper-trace.ts';
export { shopperFigures, percentile, type ShopperFigures } from './shopper-figures.ts';
