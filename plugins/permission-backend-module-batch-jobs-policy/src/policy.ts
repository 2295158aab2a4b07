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
import {
  BATCH_JOBS_VPC_RESOURCE_TYPE,
  batchJobsApprovePermission,
  batchJobsVpcReadPermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import {
  batchJobsVpcConditions,
  createBatchJobsVpcConditionalDecision,
} from '@batch-jobs/plugin-batch-jobs-node';

/**
 * An operator: a user or group ref, optionally limited to some VPCs.
 * @public
 */
export interface BatchJobsOperatorGrant {
  /** Normalized entity ref of a user or group. */
  ref: string;
  /**
   * VPCs the operator's VPC-scoped permissions are limited to; undefined:
   * every Batch Jobs action everywhere.
   */
  vpcs?: string[];
}

/** Who may act, read from `batchJobs.permissions`. @public */
export interface BatchJobsPolicyRules {
  /** Operators: every Batch Jobs action, or VPC-scoped ones in some VPCs. */
  operators: BatchJobsOperatorGrant[];
  /** Normalized entity refs allowed `batch-jobs.approve` and `batch-jobs.vpc.read`. */
  approvers: string[];
  /** Normalized entity refs allowed `batch-jobs.vpc.read` only. */
  viewers: string[];
  /** Owners may rerun, run, stop and pause their entities' jobs. */
  entityOwnersMayAct: boolean;
}

/** Options of {@link BatchJobsPermissionPolicy.fromConfig}. @public */
export interface BatchJobsPermissionPolicyOptions {
  logger: LoggerService;
  userInfo: UserInfoService;
  /**
   * Decides every permission that is not a Batch Jobs one (catalog,
   * scaffolder, other plugins). Default: deny them all, so installing
   * this policy never opens another plugin by itself.
   */
  fallback?: PermissionPolicy;
}

const CONFIG_KEY = 'batchJobs.permissions';
// Every Batch Jobs permission, including any added later: unknown ones are
// denied to all but unrestricted operators rather than silently allowed.
const BATCH_JOBS_PREFIX = 'batch-jobs.';

const denyAll: PermissionPolicy = {
  async handle() {
    return { result: AuthorizeResult.DENY };
  },
};

/** Entity refs are case-insensitive; a missing namespace means `default`. */
function normalizeRef(ref: string): string {
  return stringifyEntityRef(parseEntityRef(ref)).toLocaleLowerCase('en-US');
}

/** A user or group ref at `key` (for the message), normalized. */
function readRef(ref: unknown, key: string): string {
  if (typeof ref !== 'string') {
    throw new Error(
      `Invalid ${CONFIG_KEY}.${key}: expected a user or group ref, e.g. group:default/batch-operators`,
    );
  }
  let kind: string;
  try {
    kind = parseEntityRef(ref).kind.toLocaleLowerCase('en-US');
  } catch (error) {
    throw new Error(
      `Invalid ${CONFIG_KEY}.${key} '${ref}': ${(error as Error).message}`,
    );
  }
  if (kind !== 'user' && kind !== 'group') {
    throw new Error(
      `Invalid ${CONFIG_KEY}.${key} '${ref}': expected a user or group ref, e.g. group:default/batch-operators`,
    );
  }
  return normalizeRef(ref);
}

function readRefs(config: Config, key: string): string[] {
  const refs = config.getOptionalStringArray(key) ?? [];
  return refs.map((ref, i) => readRef(ref, `${key}[${i}]`));
}

/** `operators`: refs, or `{ ref, vpcs }` entries limited to some VPCs. */
function readOperators(config: Config): BatchJobsOperatorGrant[] {
  const entries = config.getOptional('operators') ?? [];
  if (!Array.isArray(entries)) {
    throw new Error(
      `Invalid ${CONFIG_KEY}.operators: expected a list of refs or { ref, vpcs } entries`,
    );
  }
  return entries.map((entry, i) => {
    const key = `operators[${i}]`;
    if (typeof entry === 'string') return { ref: readRef(entry, key) };
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new Error(
        `Invalid ${CONFIG_KEY}.${key}: expected a ref or { ref, vpcs }`,
      );
    }
    const { ref, vpcs, ...rest } = entry as Record<string, unknown>;
    const unknownKeys = Object.keys(rest);
    if (unknownKeys.length > 0) {
      throw new Error(
        `Invalid ${CONFIG_KEY}.${key}: unknown key '${unknownKeys[0]}' (expected ref, vpcs)`,
      );
    }
    const grant: BatchJobsOperatorGrant = { ref: readRef(ref, `${key}.ref`) };
    if (vpcs !== undefined) {
      // An empty list would read as "nowhere" to some and "everywhere" to others.
      if (
        !Array.isArray(vpcs) ||
        vpcs.length === 0 ||
        !vpcs.every(v => typeof v === 'string' && v.length > 0)
      ) {
        throw new Error(
          `Invalid ${CONFIG_KEY}.${key}.vpcs: expected a non-empty list of VPC names, e.g. [DEV, STG]`,
        );
      }
      grant.vpcs = vpcs as string[];
    }
    return grant;
  });
}

/**
 * An example permission policy for Batch Jobs. Batch Jobs permissions go
 * to configured operators, approvers and viewers, and entity-bound ones
 * (rerun, run, stop, pause) to the owners of the entity; every other
 * permission goes to the `fallback` policy (default: deny).
 * @public
 */
export class BatchJobsPermissionPolicy implements PermissionPolicy {
  /**
   * Reads `batchJobs.permissions`. Without it every Batch Jobs action is
   * denied, except with `NODE_ENV=development` (a local run), where every
   * one is allowed; either way a warning says so at start-up.
   */
  static fromConfig(
    config: Config,
    options: BatchJobsPermissionPolicyOptions,
  ): BatchJobsPermissionPolicy {
    const fallback = options.fallback ?? denyAll;
    const section = config.getOptionalConfig(CONFIG_KEY);
    if (!section) {
      if (process.env.NODE_ENV === 'development') {
        options.logger.warn(
          `No ${CONFIG_KEY} in the configuration and NODE_ENV=development: every signed-in user may do every Batch Jobs action (rerun, stop, launch agents, approve, ...). Outside development they are all denied. Set ${CONFIG_KEY}.operators, approvers, viewers and entityOwnersMayAct.`,
        );
        return new BatchJobsPermissionPolicy(
          'open',
          options.userInfo,
          fallback,
        );
      }
      options.logger.warn(
        `No ${CONFIG_KEY} in the configuration: every Batch Jobs action is denied. Set ${CONFIG_KEY}.operators, approvers, viewers and entityOwnersMayAct to allow them.`,
      );
      return new BatchJobsPermissionPolicy(
        'closed',
        options.userInfo,
        fallback,
      );
    }
    const rules: BatchJobsPolicyRules = {
      operators: readOperators(section),
      approvers: readRefs(section, 'approvers'),
      viewers: readRefs(section, 'viewers'),
      entityOwnersMayAct:
        section.getOptionalBoolean('entityOwnersMayAct') ?? true,
    };
    options.logger.info('Batch Jobs permission policy', {
      operators:
        rules.operators
          .map(o => (o.vpcs ? `${o.ref} (${o.vpcs.join(', ')})` : o.ref))
          .join(', ') || '(none)',
      approvers: rules.approvers.join(', ') || '(none)',
      viewers: rules.viewers.join(', ') || '(none)',
      entityOwnersMayAct: rules.entityOwnersMayAct,
    });
    return new BatchJobsPermissionPolicy(rules, options.userInfo, fallback);
  }

  /**
   * `rules`: from config; `'open'`: every Batch Jobs action allowed (local
   * development only); `'closed'`: every one denied.
   */
  constructor(
    private readonly rules: BatchJobsPolicyRules | 'open' | 'closed',
    private readonly userInfo: UserInfoService,
    private readonly fallback: PermissionPolicy = denyAll,
  ) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    if (!permission.name.startsWith(BATCH_JOBS_PREFIX)) {
      return this.fallback.handle(request, user);
    }
    const rules = this.rules;
    if (rules === 'open') return { result: AuthorizeResult.ALLOW };
    if (rules === 'closed') return { result: AuthorizeResult.DENY };
    // Service-to-service requests never reach the policy; no user, no action.
    if (!user) return { result: AuthorizeResult.DENY };

    // The user's ref and their groups'.
    const { ownershipEntityRefs } = await this.userInfo.getUserInfo(
      user.credentials,
    );
    const claims = new Set(ownershipEntityRefs.map(normalizeRef));
    const matches = (refs: string[]) => refs.some(ref => claims.has(ref));
    const operatorGrants = rules.operators.filter(o => claims.has(o.ref));

    if (operatorGrants.some(o => !o.vpcs)) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (
      isPermission(permission, batchJobsVpcReadPermission) &&
      matches([...rules.approvers, ...rules.viewers])
    ) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (
      isPermission(permission, batchJobsApprovePermission) &&
      matches(rules.approvers)
    ) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (
      operatorGrants.length > 0 &&
      isResourcePermission(permission, BATCH_JOBS_VPC_RESOURCE_TYPE)
    ) {
      // The Batch Jobs backend decides, VPC by VPC, through its isInVpc rule.
      const vpcs = [...new Set(operatorGrants.flatMap(o => o.vpcs ?? []))];
      return createBatchJobsVpcConditionalDecision(
        permission,
        batchJobsVpcConditions.isInVpc({ vpcs }),
      );
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
