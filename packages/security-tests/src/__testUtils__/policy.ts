import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import {
  AuthorizeResult,
  isPermission,
  PermissionCriteria,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { BatchJobsPermissionPolicy } from '@batch-jobs/plugin-permission-backend-module-batch-jobs-policy';

/*
 * The portal's policy as an adopter composes it: Batch Jobs permissions go
 * to the bundled Batch Jobs policy (operators, approvers, entity owners from
 * `batchJobs.permissions`), every other permission to the adopter's own
 * policy. Ours hides entities from some users (catalog.entity.read), which
 * is what "a user who cannot see an entity" means in the catalog.
 */

/** Entities (`kind:namespace/name`) each user must not see in the catalog. */
export type HiddenEntities = Record<string, string[]>;

/** The adopter's policy for other plugins: everything, minus hidden entities. */
class CatalogVisibilityPolicy implements PermissionPolicy {
  constructor(private readonly hidden: HiddenEntities) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const hidden = user ? this.hidden[user.info.userEntityRef] ?? [] : [];
    if (
      hidden.length > 0 &&
      isPermission(request.permission, catalogEntityReadPermission)
    ) {
      return createCatalogConditionalDecision(request.permission, {
        not: {
          anyOf: hidden.map<PermissionCriteria<any>>(ref => {
            const { kind, name } = parseEntityRef(ref);
            return {
              allOf: [
                catalogConditions.isEntityKind({ kinds: [kind] }),
                catalogConditions.hasMetadata({ key: 'name', value: name }),
              ],
            };
          }) as [PermissionCriteria<any>, ...PermissionCriteria<any>[]],
        },
      });
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

/** Batch Jobs permissions to `batchJobs`, the rest to `fallback`. */
class ComposedPolicy implements PermissionPolicy {
  constructor(
    private readonly batchJobs: PermissionPolicy,
    private readonly fallback: PermissionPolicy,
  ) {}

  handle(request: PolicyQuery, user?: PolicyQueryUser) {
    return request.permission.name.startsWith('batch-jobs.')
      ? this.batchJobs.handle(request, user)
      : this.fallback.handle(request, user);
  }
}

/** The permission backend's policy module of the security suite. */
export function securityPolicyModule(hidden: HiddenEntities) {
  return createBackendModule({
    pluginId: 'permission',
    moduleId: 'security-suite-policy',
    register(reg) {
      reg.registerInit({
        deps: {
          policy: policyExtensionPoint,
          config: coreServices.rootConfig,
          logger: coreServices.logger,
          userInfo: coreServices.userInfo,
        },
        async init({ policy, config, logger, userInfo }) {
          policy.setPolicy(
            new ComposedPolicy(
              BatchJobsPermissionPolicy.fromConfig(config, {
                logger,
                userInfo,
              }),
              new CatalogVisibilityPolicy(hidden),
            ),
          );
        },
      });
    },
  });
}
