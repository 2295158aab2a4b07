/**
 * Batch Jobs backend plugin: Jenkins batch jobs per VPC behind one audited,
 * permission-checked API.
 * @packageDocumentation
 */
export { batchJobsPlugin as default } from './plugin';
export { batchJobsPlugin } from './plugin';
// Lets an installation check its `batchJobs` config (e.g. in a test of its
// production config) with the very validation the plugin runs at start-up.
export { readBatchJobsConfig } from './config';
export type {
  AlertsConfig,
  ApprovalsConfig,
  BatchJobsConfig,
  FleetConfig,
  JenkinsInstanceConfig,
  VpcAwsConfig,
  VpcConfig,
} from './config';
export type {
  JobSelector,
  OwnershipBinding,
} from './services/jenkins/JobDirectory';
export type { AgentNaming } from './services/fleet/agentNaming';
