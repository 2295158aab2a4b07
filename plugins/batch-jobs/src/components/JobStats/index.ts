export { JobStats } from './JobStats';
export type { JobStatsProps } from './JobStats';
