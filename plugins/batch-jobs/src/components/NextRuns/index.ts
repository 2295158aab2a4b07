export { NextRuns, formatRunTime } from './NextRuns';
export type { NextRunsProps } from './NextRuns';
