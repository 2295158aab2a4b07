import { Entity } from '@backstage/catalog-model';
import {
  BATCH_JOBS_ANNOTATION,
  JENKINS_JOB_FULL_NAME_ANNOTATION,
} from '@batch-jobs/plugin-batch-jobs-common';

/**
 * True when the entity names batch jobs with the `batch-jobs.io/jobs`
 * annotation or the community Jenkins plugin's `jenkins.io/job-full-name`
 * (the backend reads both unless `batchJobs.locators.communityAnnotation` is
 * false); use it with `EntitySwitch.Case` / `EntityLayout.Route if`. Entities
 * located by a backend module's job locator need a condition of their own.
 * @public
 */
export function isBatchJobsAvailable(entity: Entity): boolean {
  const annotations = entity.metadata.annotations ?? {};
  return [BATCH_JOBS_ANNOTATION, JENKINS_JOB_FULL_NAME_ANNOTATION].some(name =>
    Boolean(annotations[name]?.trim()),
  );
}
