import { Entity } from '@backstage/catalog-model';
import { BATCH_JOBS_ANNOTATION } from '@batch-jobs/plugin-batch-jobs-common';

/**
 * True when the entity selects batch jobs with the `batch-jobs.io/jobs`
 * annotation; use it with `EntitySwitch.Case` / `EntityLayout.Route if`.
 * @public
 */
export function isBatchJobsAvailable(entity: Entity): boolean {
  return Boolean(entity.metadata.annotations?.[BATCH_JOBS_ANNOTATION]?.trim());
}
