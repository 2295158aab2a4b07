export { BatchJobsCard } from './BatchJobsCard';
export type { BatchJobsCardProps } from './BatchJobsCard';
