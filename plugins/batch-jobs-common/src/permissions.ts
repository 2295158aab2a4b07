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

/** @public */
export const batchJobsPermissions = [batchJobsBuildRerunPermission];
