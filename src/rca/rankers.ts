// The rankers `holdfast rca analyze` runs side by side: ours first, then the two published baselines.
import { rankBaroRobust, rankNSigma } from './baselines.ts';
import type { Ranker } from './ranking.ts';
import { rankRootCauses } from './root-cause-ranker.ts';

export const RANKERS: Record<string, Ranker> = {
  holdfast: (t, o) => rankRootCauses(t, o),
  'n-sigma': rankNSigma,
  baro: rankBaroRobust,
};
