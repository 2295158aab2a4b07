import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { PermissionPolicy } from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { BatchJobsPermissionPolicy } from '@batch-jobs/plugin-permission-backend-module-batch-jobs-policy';

/**
 * The demo portal's choice for every permission that is not a Batch Jobs
 * one (catalog, scaffolder, search, ...): allowed, as with Backstage's
 * allow-all policy. A real portal puts its own policy here.
 */
export const allowOtherPlugins: PermissionPolicy = {
  async handle() {
    return { result: AuthorizeResult.ALLOW };
  },
};

/**
 * The portal's permission policy: Batch Jobs permissions per
 * `batchJobs.permissions` (the Batch Jobs example policy), everything else
 * by `allowOtherPlugins`. Composed here, in the portal, so that installing
 * the Batch Jobs plugins never changes another plugin's permissions.
 */
export const portalPermissionPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'portal-policy',
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
          BatchJobsPermissionPolicy.fromConfig(config, {
            logger,
            userInfo,
            fallback: allowOtherPlugins,
          }),
        );
      },
    });
  },
});
