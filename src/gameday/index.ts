// The game-day context's public surface: `holdfast gameday <experiment>` replays an incident (a surge and
// a degraded dependency) against Holdfast and scores it against the original. See docs/gameday.md.
export { runGamedayCommand, GAMEDAY_HELP, GAMEDAY_EXIT } from './gameday-cli.ts';
export { experimentFromData, loadExperimentFile, scaleExperiment, ExperimentFileError, type Experiment } from './experiment.ts';
export { builtinExperiment, builtinExperimentNames } from './builtin-experiments.ts';
export { buildScorecard, type Scorecard } from './scorecard.ts';
