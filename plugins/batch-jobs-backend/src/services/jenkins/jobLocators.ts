import type { Entity } from '@backstage/catalog-model';
import {
  BATCH_JOBS_ANNOTATION,
  BATCH_JOBS_VPCS_ANNOTATION,
  JENKINS_JOB_FULL_NAME_ANNOTATION,
} from '@batch-jobs/plugin-batch-jobs-common';
import type {
  BatchJobsJobClaims,
  BatchJobsJobLocator,
} from '@batch-jobs/plugin-batch-jobs-node';

/*
 * The built-in job locators: the entity's own annotations, read as claims.
 * What they return is capped again by JobDirectory, like any locator's.
 */

/** Longest annotation value read. @public */
export const MAX_ANNOTATION_LENGTH = 4000;
/** Most selectors in one annotation (and most claims of one locator). @public */
export const MAX_SELECTORS = 50;

/** The comma-separated entries of an annotation, with its caps reported as invalid entries. */
function annotationEntries(
  annotation: string,
  value: string,
  what: string,
): { entries: string[]; invalid: Array<{ raw: string; error: string }> } {
  const invalid: Array<{ raw: string; error: string }> = [];
  if (value.length > MAX_ANNOTATION_LENGTH) {
    invalid.push({
      raw: `${value.slice(0, 40)}…`,
      error: `Annotation '${annotation}' is ${value.length} characters long; at most ${MAX_ANNOTATION_LENGTH} are read`,
    });
  }
  const entries = value
    .slice(0, MAX_ANNOTATION_LENGTH)
    .split(',')
    .map(s => s.trim())
    .filter(Boolean);
  if (entries.length > MAX_SELECTORS) {
    invalid.push({
      raw: entries[MAX_SELECTORS],
      error: `Annotation '${annotation}' has ${entries.length} ${what}; at most ${MAX_SELECTORS} are read`,
    });
  }
  return { entries: entries.slice(0, MAX_SELECTORS), invalid };
}

/** Id of the locator reading `batch-jobs.io/jobs` and `batch-jobs.io/vpcs`. */
export const ANNOTATION_LOCATOR_ID = BATCH_JOBS_ANNOTATION;

/**
 * `batch-jobs.io/jobs`: selectors relative to each VPC's folder, limited to
 * the VPCs `batch-jobs.io/vpcs` names (default: every VPC).
 */
export const annotationJobLocator: BatchJobsJobLocator = {
  id: ANNOTATION_LOCATOR_ID,
  locate(entity: Entity): BatchJobsJobClaims | undefined {
    const annotations = entity.metadata.annotations ?? {};
    const jobs = annotations[BATCH_JOBS_ANNOTATION];
    if (!jobs || !jobs.trim()) return undefined;
    const { entries, invalid } = annotationEntries(
      BATCH_JOBS_ANNOTATION,
      jobs,
      'selectors',
    );
    const vpcAnnotation = annotations[BATCH_JOBS_VPCS_ANNOTATION];
    const vpcs = vpcAnnotation
      ? vpcAnnotation
          .split(',')
          .map(s => s.trim())
          .filter(Boolean)
      : undefined;
    return {
      claims: entries.map(selector => ({
        selector,
        ...(vpcs ? { vpcs } : {}),
      })),
      invalid,
    };
  },
};

/**
 * The community Jenkins plugin's `jenkins.io/job-full-name`: comma-separated
 * `[instance:]full/job/name`, split at the first `:` (Jenkins refuses `:` in
 * names) as that plugin does; a folder means the jobs directly in it (that
 * plugin lists a folder's or multibranch project's jobs one level down).
 */
export const communityAnnotationJobLocator: BatchJobsJobLocator = {
  id: JENKINS_JOB_FULL_NAME_ANNOTATION,
  locate(entity: Entity): BatchJobsJobClaims | undefined {
    const value =
      entity.metadata.annotations?.[JENKINS_JOB_FULL_NAME_ANNOTATION];
    if (!value || !value.trim()) return undefined;
    const { entries, invalid } = annotationEntries(
      JENKINS_JOB_FULL_NAME_ANNOTATION,
      value,
      'job names',
    );
    return {
      claims: entries.map(entry => {
        const colon = entry.indexOf(':');
        return colon < 0
          ? { fullName: entry }
          : {
              jenkins: entry.slice(0, colon).trim(),
              fullName: entry.slice(colon + 1).trim(),
            };
      }),
      invalid,
    };
  },
};
