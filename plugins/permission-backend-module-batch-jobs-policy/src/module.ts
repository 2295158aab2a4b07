import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { BatchJobsPermissionPolicy } from './policy';

/**
 * The permission backend's policy for the portal: Batch Jobs actions per
 * `batchJobs.permissions`, everything else allowed. Replaces
 * `@backstage/plugin-permission-backend-module-allow-all-policy`.
 * @public
 */
export const permissionModuleBatchJobsPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'batch-jobs-policy',
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
          BatchJobsPermissionPolicy.fromConfig(config, { logger, userInfo }),
        );
      },
    });
  },
});
