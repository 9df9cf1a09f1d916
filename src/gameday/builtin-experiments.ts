// The experiments that ship with Holdfast, written as an experiment file would be (and validated the same
// way). `holiday-surge` is the seed incident: baseline traffic, a surge to 5x, the payment provider
// degraded as the surge starts (slow first, then failing as well), held through the surge, then cleared,
// and the shop left a while at baseline to recover. Its thresholds are the bar the platform must clear.
import { experimentFromData, type Experiment } from './experiment.ts';

export const HOLIDAY_SURGE_EXPERIMENT = {
  name: 'holiday-surge',
  description: 'The seed incident: a holiday surge to 5x while the payment provider degrades (2 s latency, then half its calls failing after the charge was made), held, then cleared.',
  duration: '6m',
  method: {
    load: {
      scenario: 'holiday-surge',
      startRate: 5,
      // baseline, ramp to 5x, hold, back down, baseline (the holiday-surge scenario's profile)
      stages: [
        { duration: '1m', target: 5 }, { duration: '1m', target: 25 }, { duration: '2m', target: 25 },
        { duration: '1m', target: 5 }, { duration: '1m', target: 5 },
      ],
      requestObjective: '1s',
    },
    faults: [
      { fault: 'psp.latency', params: { latencyMs: 2000 }, start: '1m', duration: '3m' },
      // 'after': the charge is made and its answer lost, the retry is the same request (exactly-once charging)
      { fault: 'psp.errors', params: { rate: 0.5, phase: 'after' }, start: '2m', duration: '2m' },
    ],
  },
  steadyState: [
    { name: 'shoppers-are-served', measure: 'error-ratio', max: 0.01, window: '20s' },
    { name: 'no-alert-firing', measure: 'alerts-firing', max: 0 },
    { name: 'orders-settle', measure: 'orders-unsettled', max: 0 },
  ],
  rollbacks: { clearFaults: true },
  abort: [{ measure: 'error-ratio', above: 0.5, for: '20s' }],
  expect: { rootCause: { component: 'payment-provider', networkInvolved: false } },
  thresholds: [
    'shoppersAffectedRatio < 0.01',
    'timeToDetectSeconds < 15',
    'timeToRootCauseSeconds < 30',
    'timeToMitigationSeconds < 60',
    'orders.lost == 0',
    'orders.doubleCharges == 0',
  ],
  recovery: { timeout: '2m' },
  deployment: { autoscale: true },
};

const BUILTIN: Record<string, unknown> = { 'holiday-surge': HOLIDAY_SURGE_EXPERIMENT };

export function builtinExperimentNames(): string[] {
  return Object.keys(BUILTIN);
}

export function builtinExperiment(name: string): Experiment | undefined {
  return Object.hasOwn(BUILTIN, name) ? experimentFromData(structuredClone(BUILTIN[name]), `built-in experiment ${name}`) : undefined;
}
