import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { BatchJobsPermissionPolicy } from './policy';

/**
 * An example permission policy module: Batch Jobs permissions per
 * `batchJobs.permissions`, every other plugin's permission denied. A
 * portal keeps its own policy for those by composing instead of installing
 * this module, calling
 * `BatchJobsPermissionPolicy.fromConfig(config, { logger, userInfo, fallback })`
 * in its own module (see the README, "Permissions").
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
