import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { BatchJobsBackendClient } from './BatchJobsBackendClient';
import {
  createBatchJobCreateAction,
  createBatchJobUpdateAction,
} from './actions/batchJobActions';

/**
 * Scaffolder actions `batch-jobs:job:create` and `batch-jobs:job:update`,
 * which write jobs through the Batch Jobs backend on behalf of the user.
 * @public
 */
export const scaffolderModuleBatchJobs = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'batch-jobs',
  register(env) {
    env.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
      },
      async init({ scaffolder, discovery, auth }) {
        const writer = new BatchJobsBackendClient({ discovery, auth });
        scaffolder.addActions(
          createBatchJobCreateAction({ writer }),
          createBatchJobUpdateAction({ writer }),
        );
      },
    });
  },
});
