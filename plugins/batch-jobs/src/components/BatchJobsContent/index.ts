export { BatchJobsContent } from './BatchJobsContent';
