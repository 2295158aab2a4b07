import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';

/**
 * Jobs an entity says are its own, in one of two forms:
 *
 * - `selector`: a path relative to a VPC's folder naming a job, or a folder
 *   meaning the jobs directly in it; its last segment may hold `*` globs
 *   (e.g. `payments-settlement/daily-*`), as in `batch-jobs.io/jobs`;
 * - `fullName`: a Jenkins full name from the root, a job or a folder meaning
 *   the jobs directly in it, taken literally (e.g. `DEV/payments-settlement`),
 *   claimed in every VPC of that Jenkins whose folder holds it.
 *
 * A claim is only a claim: a job belongs to the entity when an operator's
 * binding in `batchJobs.ownership` gives it to that entity. Claims are read
 * from text anyone who registers an entity writes, so the backend caps them
 * as it caps the annotation (length, path segments, globs, count).
 * @public
 */
export type BatchJobsJobClaim =
  | {
      selector: string;
      /** The VPCs (names as configured) it applies in; undefined: every VPC. */
      vpcs?: string[];
    }
  | {
      fullName: string;
      /**
       * The Jenkins instance (`batchJobs.jenkins[].name`); undefined: the one
       * named `default`, or the only one configured.
       */
      jenkins?: string;
    };

/**
 * What a locator found on an entity.
 * @public
 */
export interface BatchJobsJobClaims {
  claims: BatchJobsJobClaim[];
  /**
   * Entries the locator could not read, with the reason, shown on the
   * entity's jobs list (e.g. a malformed annotation value).
   */
  invalid?: Array<{ raw: string; error: string }>;
}

/**
 * Reads which jobs a catalog entity claims. Every entity is located by all
 * locators (the built-in ones reading `batch-jobs.io/jobs` and, unless
 * turned off, `jenkins.io/job-full-name`, and those modules add); their
 * claims are unioned.
 * @public
 */
export interface BatchJobsJobLocator {
  /** Names the locator in messages and logs. */
  id: string;
  /**
   * The entity's claims, or undefined when it names no jobs this way. Called
   * on every read of the entity's jobs and on each alert tick: keep it cheap.
   * Throwing shows the error on the entity's jobs list.
   */
  locate(
    entity: Entity,
  ): BatchJobsJobClaims | undefined | Promise<BatchJobsJobClaims | undefined>;
}

/** @public */
export interface BatchJobsJobLocatorsExtensionPoint {
  addJobLocator(locator: BatchJobsJobLocator): void;
}

/**
 * Adds job locators to the Batch Jobs backend from a backend module, e.g.
 * one reading an annotation of your own:
 *
 * ```ts
 * createBackendModule({
 *   pluginId: 'batch-jobs',
 *   moduleId: 'team-jobs-locator',
 *   register(env) {
 *     env.registerInit({
 *       deps: { locators: batchJobsJobLocatorsExtensionPoint },
 *       async init({ locators }) {
 *         locators.addJobLocator({
 *           id: 'team-jobs',
 *           locate: entity => {
 *             const team = entity.metadata.annotations?.['example.com/team'];
 *             return team ? { claims: [{ selector: `${team}/*` }] } : undefined;
 *           },
 *         });
 *       },
 *     });
 *   },
 * });
 * ```
 * @public
 */
export const batchJobsJobLocatorsExtensionPoint =
  createExtensionPoint<BatchJobsJobLocatorsExtensionPoint>({
    id: 'batch-jobs.job-locators',
  });
