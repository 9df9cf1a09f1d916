// Public surface of root-cause analysis: the telemetry shape, the CSV reader, our ranker, the two
// baselines, evaluation and the `holdfast rca` command. Pure logic apart from case-files.ts and rca-cli.ts
// (which read files), so the control role can run the same ranking over its in-memory series.
export { splitColumnName, columnName, services, allTimestamps, type MetricSeries, type Telemetry } from './time-series.ts';
export { parseWideCsv, readWideCsv, WideCsvParser, CsvFormatError, type WideCsvOptions } from './csv-reader.ts';
export { classifyMetric, type MetricInfo, type MetricKind, type BadDirection } from './metric-kind.ts';
export { detectChangePoint, type ChangePoint } from './change-point.ts';
export { resolveInjectTime, type MetricEvidence, type RankedService, type Ranking, type RankOptions, type Ranker } from './ranking.ts';
export { rankRootCauses, DEFAULT_SETTINGS, type RankerSettings } from './root-cause-ranker.ts';
export { rankNSigma, rankBaroRobust } from './baselines.ts';
export { RANKERS } from './rankers.ts';
export { evaluate, evaluateCase, summarise, accuracy, rankOf, type EvaluationReport, type EvaluationCase, type CaseOutcome, type CaseTruth, type Accuracy } from './evaluation.ts';
export { formatRanking, formatEvaluation, describeEvidence, describeService } from './rca-report.ts';
export { readCase, readTelemetryFile, findCaseDirs, type RecordedCase } from './case-files.ts';
export { runRcaCommand, RCA_USAGE } from './rca-cli.ts';
