import {
  createPermission,
  type Permission,
} from '@backstage/plugin-permission-common';

/**
 * Actions on batch jobs are tied to the catalog entity that owns the jobs, so
 * a policy can allow a team to act on its own services only (conditions are
 * the catalog's own rules, e.g. isEntityOwner).
 */
const RESOURCE_TYPE_CATALOG_ENTITY = 'catalog-entity';

/**
 * Resource type of VPC-scoped actions and views (agents, workers, routines'
 * targets, job templates, promotions, VPC-wide reads). The resource ref is
 * the VPC's name, e.g. `PROD`; the backend's rules (`isInVpc`,
 * `requiresApproval`) let a policy grant by VPC.
 * @public
 */
export const BATCH_JOBS_VPC_RESOURCE_TYPE = 'batch-jobs-vpc';

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
 * Launch an EC2 Jenkins agent in a VPC. Authorized with the VPC (resource
 * type batch-jobs-vpc): agents belong to
 * the VPC, not to one entity.
 * @public
 */
export const batchJobsAgentLaunchPermission = createPermission({
  name: 'batch-jobs.agent.launch',
  attributes: { action: 'create' },
  resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
});

/**
 * Drain and terminate an EC2 Jenkins agent (instance and node). Authorized
 * with the VPC.
 * @public
 */
export const batchJobsAgentTerminatePermission = createPermission({
  name: 'batch-jobs.agent.terminate',
  attributes: { action: 'delete' },
  resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
});

/**
 * Restart the worker jobs of a VPC (stop, then start with the previous
 * parameters). Authorized with the VPC: workers belong to the VPC.
 * @public
 */
export const batchJobsWorkerRedeployPermission = createPermission({
  name: 'batch-jobs.worker.redeploy',
  attributes: { action: 'update' },
  resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
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
 * template, e.g. with the "New batch job" Software Template. Authorized with
 * each target VPC: a new job has no owning entity yet.
 * @public
 */
export const batchJobsJobCreatePermission = createPermission({
  name: 'batch-jobs.job.create',
  attributes: { action: 'create' },
  resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
});

/**
 * Copy a job's configuration from one VPC to another (e.g. DEV → STG).
 * Authorized with the target VPC.
 * @public
 */
export const batchJobsJobPromotePermission = createPermission({
  name: 'batch-jobs.job.promote',
  attributes: { action: 'update' },
  resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
});

/**
 * VPC-wide operator views: the fleet, a whole VPC's schedule timeline, its
 * workers and its audit trail. Job data (builds, logs, parameters, config)
 * is readable without it only through a catalog entity the user can see
 * and that validly claims the job. Resource ref: the VPC's name.
 * @public
 */
export const batchJobsVpcReadPermission = createPermission({
  name: 'batch-jobs.vpc.read',
  attributes: { action: 'read' },
  resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
});

/**
 * Answer a pipeline build's `input` step (Proceed, with its parameters, or
 * Abort). Authorized with the entity ref; in a VPC that requires approval
 * the person who started the build may not proceed it.
 * @public
 */
export const batchJobsInputSubmitPermission = createPermission({
  name: 'batch-jobs.input.submit',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** @public */
export const batchJobsPermissions: Permission[] = [
  batchJobsVpcReadPermission,
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
  batchJobsInputSubmitPermission,
];
