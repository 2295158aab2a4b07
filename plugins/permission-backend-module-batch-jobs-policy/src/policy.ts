import { LoggerService, UserInfoService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  AuthorizeResult,
  isPermission,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { batchJobsApprovePermission } from '@internal/plugin-batch-jobs-common';

/** Who may act, read from `batchJobs.permissions`. @public */
export interface BatchJobsPolicyRules {
  /** Normalized entity refs allowed every Batch Jobs action. */
  operators: string[];
  /** Normalized entity refs allowed `batch-jobs.approve`. */
  approvers: string[];
  /** Owners may rerun, run, stop and pause their entities' jobs. */
  entityOwnersMayAct: boolean;
}

const CONFIG_KEY = 'batchJobs.permissions';
// Every Batch Jobs permission, including any added later: unknown ones are
// denied to all but operators rather than silently allowed.
const BATCH_JOBS_PREFIX = 'batch-jobs.';

/** Entity refs are case-insensitive; a missing namespace means `default`. */
function normalizeRef(ref: string): string {
  return stringifyEntityRef(parseEntityRef(ref)).toLocaleLowerCase('en-US');
}

function readRefs(config: Config, key: string): string[] {
  const refs = config.getOptionalStringArray(key) ?? [];
  return refs.map((ref, i) => {
    let kind: string;
    try {
      kind = parseEntityRef(ref).kind.toLocaleLowerCase('en-US');
    } catch (error) {
      throw new Error(
        `Invalid ${CONFIG_KEY}.${key}[${i}] '${ref}': ${
          (error as Error).message
        }`,
      );
    }
    if (kind !== 'user' && kind !== 'group') {
      throw new Error(
        `Invalid ${CONFIG_KEY}.${key}[${i}] '${ref}': expected a user or group ref, e.g. group:default/batch-operators`,
      );
    }
    return normalizeRef(ref);
  });
}

/**
 * The portal's permission policy. Batch Jobs actions go to configured
 * operators and approvers, and entity-bound ones (rerun, run, stop, pause)
 * to the owners of the entity; everything else is allowed.
 * @public
 */
export class BatchJobsPermissionPolicy implements PermissionPolicy {
  /**
   * Reads `batchJobs.permissions`. Without it the policy is open (every
   * Batch Jobs action allowed, as with the allow-all policy) and says so
   * once in the log, so a fresh clone keeps working.
   */
  static fromConfig(
    config: Config,
    options: { logger: LoggerService; userInfo: UserInfoService },
  ): BatchJobsPermissionPolicy {
    const section = config.getOptionalConfig(CONFIG_KEY);
    if (!section) {
      options.logger.warn(
        `No ${CONFIG_KEY} in the configuration: every signed-in user may do every Batch Jobs action (rerun, stop, launch agents, approve, ...). Set ${CONFIG_KEY}.operators, approvers and entityOwnersMayAct to restrict them.`,
      );
      return new BatchJobsPermissionPolicy(undefined, options.userInfo);
    }
    const rules: BatchJobsPolicyRules = {
      operators: readRefs(section, 'operators'),
      approvers: readRefs(section, 'approvers'),
      entityOwnersMayAct:
        section.getOptionalBoolean('entityOwnersMayAct') ?? true,
    };
    options.logger.info('Batch Jobs permission policy', {
      operators: rules.operators.join(', ') || '(none)',
      approvers: rules.approvers.join(', ') || '(none)',
      entityOwnersMayAct: rules.entityOwnersMayAct,
    });
    return new BatchJobsPermissionPolicy(rules, options.userInfo);
  }

  /** `rules` undefined: the open policy (every Batch Jobs action allowed). */
  constructor(
    private readonly rules: BatchJobsPolicyRules | undefined,
    private readonly userInfo: UserInfoService,
  ) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    // The portal is an example: the catalog, scaffolder, search and the
    // other stock plugins stay open to every signed-in user, as with the
    // allow-all policy it replaces. Only Batch Jobs actions are restricted.
    if (!permission.name.startsWith(BATCH_JOBS_PREFIX)) {
      return { result: AuthorizeResult.ALLOW };
    }
    const rules = this.rules;
    if (!rules) return { result: AuthorizeResult.ALLOW };
    // Service-to-service requests never reach the policy; no user, no action.
    if (!user) return { result: AuthorizeResult.DENY };

    // The user's ref and their groups'.
    const { ownershipEntityRefs } = await this.userInfo.getUserInfo(
      user.credentials,
    );
    const claims = new Set(ownershipEntityRefs.map(normalizeRef));
    const matches = (refs: string[]) => refs.some(ref => claims.has(ref));

    if (matches(rules.operators)) return { result: AuthorizeResult.ALLOW };
    if (
      isPermission(permission, batchJobsApprovePermission) &&
      matches(rules.approvers)
    ) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (
      rules.entityOwnersMayAct &&
      isResourcePermission(permission, 'catalog-entity')
    ) {
      // The catalog decides, entity by entity, through its isEntityOwner rule.
      return createCatalogConditionalDecision(
        permission,
        catalogConditions.isEntityOwner({ claims: ownershipEntityRefs }),
      );
    }
    return { result: AuthorizeResult.DENY };
  }
}
