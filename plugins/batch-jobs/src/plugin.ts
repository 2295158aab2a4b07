import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { BatchJobsClient, batchJobsApiRef } from './api';
import { rootRouteRef } from './routes';

/** @public */
export const batchJobsPlugin = createPlugin({
  id: 'batch-jobs',
  apis: [
    createApiFactory({
      api: batchJobsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BatchJobsClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: {
    entityContent: rootRouteRef,
  },
});

/**
 * The "Batch Jobs" entity tab: jobs per VPC, builds, live logs, reruns and
 * the audit trail.
 * @public
 */
export const EntityBatchJobsContent = batchJobsPlugin.provide(
  createRoutableExtension({
    name: 'EntityBatchJobsContent',
    component: () =>
      import('./components/BatchJobsContent').then(m => m.BatchJobsContent),
    mountPoint: rootRouteRef,
  }),
);

/**
 * Overview card: recent failures across VPCs, linking into the tab.
 * @public
 */
export const EntityBatchJobsCard = batchJobsPlugin.provide(
  createComponentExtension({
    name: 'EntityBatchJobsCard',
    component: {
      lazy: () =>
        import('./components/BatchJobsCard').then(m => m.BatchJobsCard),
    },
  }),
);
