import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { BatchJobsClient, batchJobsApiRef } from './api';
import { batchJobConfigApiRef } from './api/BatchJobConfigApi';
import { BatchJobConfigClient } from './api/BatchJobConfigClient';
import { batchFleetApiRef } from './api/BatchFleetApi';
import { BatchFleetClient } from './api/BatchFleetClient';
import { batchRoutinesApiRef } from './api/BatchRoutinesApi';
import { BatchRoutinesClient } from './api/BatchRoutinesClient';
import { batchMissedRunsApiRef } from './api/BatchMissedRunsApi';
import { BatchMissedRunsClient } from './api/BatchMissedRunsClient';
import { batchOperationsApiRef } from './api/BatchOperationsApi';
import { BatchOperationsClient } from './api/BatchOperationsClient';
import { fleetRouteRef, rootRouteRef } from './routes';
import type { BatchJobsCardProps } from './components/BatchJobsCard';

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
    createApiFactory({
      api: batchFleetApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BatchFleetClient({ discoveryApi, fetchApi }),
    }),
    createApiFactory({
      api: batchOperationsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BatchOperationsClient({ discoveryApi, fetchApi }),
    }),
    createApiFactory({
      api: batchRoutinesApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BatchRoutinesClient({ discoveryApi, fetchApi }),
    }),
    createApiFactory({
      api: batchJobConfigApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BatchJobConfigClient({ discoveryApi, fetchApi }),
    }),
    createApiFactory({
      api: batchMissedRunsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BatchMissedRunsClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: {
    entityContent: rootRouteRef,
    fleet: fleetRouteRef,
  },
});

/**
 * The "Batch Jobs" entity tab: jobs per VPC, builds, live logs, reruns and
 * the audit trail.
 * @public
 */
export const EntityBatchJobsContent: () => JSX.Element = batchJobsPlugin.provide(
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
export const EntityBatchJobsCard: (
  props: BatchJobsCardProps,
) => JSX.Element = batchJobsPlugin.provide(
  createComponentExtension({
    name: 'EntityBatchJobsCard',
    component: {
      lazy: () =>
        import('./components/BatchJobsCard').then(m => m.BatchJobsCard),
    },
  }),
);

/**
 * The "Batch Fleet" page: every VPC's EC2 Jenkins agents, launch and terminate.
 * @public
 */
export const BatchFleetPage: (props: {
  pollIntervalMs?: number;
}) => JSX.Element = batchJobsPlugin.provide(
  createRoutableExtension({
    name: 'BatchFleetPage',
    component: () =>
      import('./components/BatchFleet').then(m => m.BatchFleetPage),
    mountPoint: fleetRouteRef,
  }),
);

/**
 * Entity card: the agents of the VPCs the entity uses.
 * @public
 */
export const EntityBatchFleetCard: (props: {
  pollIntervalMs?: number;
}) => JSX.Element = batchJobsPlugin.provide(
  createComponentExtension({
    name: 'EntityBatchFleetCard',
    component: {
      lazy: () =>
        import('./components/BatchFleet').then(m => m.EntityBatchFleetCard),
    },
  }),
);

/**
 * The four-eyes approvals: pending requests with approve/reject, and the
 * decided ones. Also on the Batch Fleet page.
 * @public
 */
export const BatchApprovalsCard: (props: {
  pollIntervalMs?: number;
}) => JSX.Element = batchJobsPlugin.provide(
  createComponentExtension({
    name: 'BatchApprovalsCard',
    component: {
      lazy: () => import('./components/Operations').then(m => m.ApprovalsList),
    },
  }),
);
