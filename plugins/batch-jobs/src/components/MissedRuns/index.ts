export { MissedRunBadges } from './MissedRunBadges';
export { MissedRunsCard } from './MissedRunsCard';
export { CatchUpDialog, OutageSummary } from './OutageSummary';
export { useMissedRuns } from './useMissedRuns';
