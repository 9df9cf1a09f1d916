// Public surface of the control role: collection, detection, SLO burn-rate alerts and live root-cause analysis.
export { controlModule } from './control-module.ts';
export { ControlPlane, serviceOfSubject, onsetOf, type Alert, type ControlEvents } from './control-plane.ts';
export { controlConfig, type ControlConfig, controlSettings, configuredSlos, DEFAULT_SLOS, DEFAULT_BURN_WINDOWS, DEFAULT_DETECTOR, type ControlSettings, type SloDefinition, type BurnWindow, type DetectorSettings } from './control-config.ts';
export { changeScore, type ChangeScore, type ChangeInput, type SignalKind } from './change-detector.ts';
export { burnRate, evaluateBurn, type BurnEvaluation, type WindowCounts } from './slo-burn.ts';
export { analyseWindow, type RcaFinding, type RankedCause, type NetworkVerdict } from './live-rca.ts';
export { SeriesWindow } from './series-window.ts';
export { MetricsCollector } from './metrics-collector.ts';
