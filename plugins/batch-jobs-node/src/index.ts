/**
 * Node library of the Batch Jobs plugin: the `batch-jobs-vpc` resource
 * type's rules and condition helpers, so a permission policy can grant
 * VPC-scoped actions by VPC without depending on the backend plugin; and
 * the extension points backend modules use to plug into it.
 * @packageDocumentation
 */
export {
  batchJobsVpcConditions,
  batchJobsVpcResourceRef,
  batchJobsVpcRules,
  createBatchJobsVpcConditionalDecision,
} from './vpcPermissions';
export type { BatchJobsVpcResource } from './vpcPermissions';
export { batchJobsAlertChannelsExtensionPoint } from './alertChannels';
export type {
  BatchJobsAlertChannel,
  BatchJobsAlertChannelsExtensionPoint,
  BatchJobsBuildAlert,
  BatchJobsMissedRunAlert,
} from './alertChannels';
export { batchJobsAgentProviderExtensionPoint } from './agentProviders';
export type {
  BatchJobsAgentCapabilities,
  BatchJobsAgentLaunch,
  BatchJobsAgentLaunchRequest,
  BatchJobsAgentMachine,
  BatchJobsAgentOwnership,
  BatchJobsAgentProvider,
  BatchJobsAgentProviderExtensionPoint,
  BatchJobsAgentState,
} from './agentProviders';
export { batchJobsJobLocatorsExtensionPoint } from './jobLocators';
export type {
  BatchJobsJobClaim,
  BatchJobsJobClaims,
  BatchJobsJobLocator,
  BatchJobsJobLocatorsExtensionPoint,
} from './jobLocators';
export { batchJobsTemplatesExtensionPoint } from './jobTemplates';
export type {
  BatchJobsJobTemplate,
  BatchJobsTemplateSource,
  BatchJobsTemplatesExtensionPoint,
  BatchJobsTemplateVpc,
} from './jobTemplates';
