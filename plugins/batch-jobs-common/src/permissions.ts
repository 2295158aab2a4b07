import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Actions on batch jobs are tied to the catalog entity that owns the jobs, so
 * a policy can allow a team to act on its own services only (conditions are
 * the catalog's own rules, e.g. isEntityOwner).
 */
const RESOURCE_TYPE_CATALOG_ENTITY = 'catalog-entity';

/**
 * Rerun a build with the same parameters. Authorized with the entity ref.
 * @public
 */
export const batchJobsBuildRerunPermission = createPermission({
  name: 'batch-jobs.build.rerun',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Start a job now with chosen parameters. Authorized with the entity ref.
 * @public
 */
export const batchJobsJobRunPermission = createPermission({
  name: 'batch-jobs.job.run',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Stop a running build (or cancel a queued one). Authorized with the entity ref.
 * @public
 */
export const batchJobsBuildStopPermission = createPermission({
  name: 'batch-jobs.build.stop',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Pause (disable) and resume (enable) a job's schedule. Authorized with the entity ref.
 * @public
 */
export const batchJobsJobPausePermission = createPermission({
  name: 'batch-jobs.job.pause',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Launch an EC2 Jenkins agent in a VPC. A basic permission: agents belong to
 * the VPC, not to one entity.
 * @public
 */
export const batchJobsAgentLaunchPermission = createPermission({
  name: 'batch-jobs.agent.launch',
  attributes: { action: 'create' },
});

/**
 * Drain and terminate an EC2 Jenkins agent (instance and node). Basic permission.
 * @public
 */
export const batchJobsAgentTerminatePermission = createPermission({
  name: 'batch-jobs.agent.terminate',
  attributes: { action: 'delete' },
});

/**
 * Restart the worker jobs of a VPC (stop, then start with the previous
 * parameters). Basic permission: workers belong to the VPC.
 * @public
 */
export const batchJobsWorkerRedeployPermission = createPermission({
  name: 'batch-jobs.worker.redeploy',
  attributes: { action: 'update' },
});

/**
 * Approve or reject another person's request in a VPC that needs four eyes.
 * Nobody approves their own request, whatever the policy says.
 * @public
 */
export const batchJobsApprovePermission = createPermission({
  name: 'batch-jobs.approve',
  attributes: { action: 'update' },
});

/**
 * Run a routine now (offline-node sweep, orphan reaper, Jenkins backup), for
 * real or as a dry run. Basic permission: routines act on the whole fleet.
 * @public
 */
export const batchJobsRoutineRunPermission = createPermission({
  name: 'batch-jobs.routine.run',
  attributes: { action: 'update' },
});

/**
 * Create (or, asked to, reconfigure) jobs from the standard batch pipeline
 * template, e.g. with the "New batch job" Software Template. Basic
 * permission: a new job has no owning entity yet.
 * @public
 */
export const batchJobsJobCreatePermission = createPermission({
  name: 'batch-jobs.job.create',
  attributes: { action: 'create' },
});

/**
 * Copy a job's configuration from one VPC to another (e.g. DEV → STG).
 * Basic permission.
 * @public
 */
export const batchJobsJobPromotePermission = createPermission({
  name: 'batch-jobs.job.promote',
  attributes: { action: 'update' },
});

/** @public */
export const batchJobsPermissions = [
  batchJobsJobCreatePermission,
  batchJobsJobPromotePermission,
  batchJobsRoutineRunPermission,
  batchJobsWorkerRedeployPermission,
  batchJobsApprovePermission,
  batchJobsAgentLaunchPermission,
  batchJobsAgentTerminatePermission,
  batchJobsBuildRerunPermission,
  batchJobsJobRunPermission,
  batchJobsBuildStopPermission,
  batchJobsJobPausePermission,
];
