/**
 * Batch Jobs for the new frontend system: the plugin (default export, found
 * by app feature discovery) and a scaffolder module with the schedule field.
 * @packageDocumentation
 */
import {
  compatWrapper,
  convertLegacyRouteRef,
  convertLegacyRouteRefs,
} from '@backstage/core-compat-api';
import {
  ApiBlueprint,
  createFrontendModule,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import DnsIcon from '@material-ui/icons/Dns';
import { batchJobsApiRef, BatchJobsClient } from './api';
import { batchFleetApiRef } from './api/BatchFleetApi';
import { BatchFleetClient } from './api/BatchFleetClient';
import { batchJobConfigApiRef } from './api/BatchJobConfigApi';
import { BatchJobConfigClient } from './api/BatchJobConfigClient';
import { batchMissedRunsApiRef } from './api/BatchMissedRunsApi';
import { BatchMissedRunsClient } from './api/BatchMissedRunsClient';
import { batchOperationsApiRef } from './api/BatchOperationsApi';
import { BatchOperationsClient } from './api/BatchOperationsClient';
import { batchRoutinesApiRef } from './api/BatchRoutinesApi';
import { BatchRoutinesClient } from './api/BatchRoutinesClient';
import { isBatchJobsAvailable } from './conditions';
import { fleetRouteRef, rootRouteRef } from './routes';

// The same clients the legacy plugin registers in src/plugin.ts.

/** @alpha */
export const batchJobsApi = ApiBlueprint.make({
  name: 'service',
  params: defineParams =>
    defineParams({
      api: batchJobsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BatchJobsClient({ discoveryApi, fetchApi }),
    }),
});

/** @alpha */
export const batchFleetApi = ApiBlueprint.make({
  name: 'fleet',
  params: defineParams =>
    defineParams({
      api: batchFleetApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BatchFleetClient({ discoveryApi, fetchApi }),
    }),
});

/** @alpha */
export const batchOperationsApi = ApiBlueprint.make({
  name: 'operations',
  params: defineParams =>
    defineParams({
      api: batchOperationsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BatchOperationsClient({ discoveryApi, fetchApi }),
    }),
});

/** @alpha */
export const batchRoutinesApi = ApiBlueprint.make({
  name: 'routines',
  params: defineParams =>
    defineParams({
      api: batchRoutinesApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BatchRoutinesClient({ discoveryApi, fetchApi }),
    }),
});

/** @alpha */
export const batchJobConfigApi = ApiBlueprint.make({
  name: 'job-config',
  params: defineParams =>
    defineParams({
      api: batchJobConfigApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BatchJobConfigClient({ discoveryApi, fetchApi }),
    }),
});

/** @alpha */
export const batchMissedRunsApi = ApiBlueprint.make({
  name: 'missed-runs',
  params: defineParams =>
    defineParams({
      api: batchMissedRunsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BatchMissedRunsClient({ discoveryApi, fetchApi }),
    }),
});

// The components are written against @backstage/core-plugin-api;
// compatWrapper gives them its contexts inside a new-frontend-system app.

/**
 * The "Batch Jobs" tab of entities with the `batch-jobs.io/jobs` annotation.
 * @alpha
 */
export const batchJobsEntityContent = EntityContentBlueprint.make({
  params: {
    path: '/batch-jobs',
    title: 'Batch Jobs',
    routeRef: convertLegacyRouteRef(rootRouteRef),
    filter: isBatchJobsAvailable,
    loader: () =>
      import('./components/BatchJobsContent').then(m =>
        compatWrapper(<m.BatchJobsContent />),
      ),
  },
});

/**
 * Overview card: recent failures across VPCs, linking into the tab.
 * @alpha
 */
export const batchJobsEntityCard = EntityCardBlueprint.make({
  name: 'jobs',
  params: {
    filter: isBatchJobsAvailable,
    loader: () =>
      import('./components/BatchJobsCard').then(m =>
        compatWrapper(<m.BatchJobsCard />),
      ),
  },
});

/**
 * Overview card: the agents of the VPCs the entity uses.
 * @alpha
 */
export const batchFleetEntityCard = EntityCardBlueprint.make({
  name: 'fleet',
  params: {
    filter: isBatchJobsAvailable,
    loader: () =>
      import('./components/BatchFleet').then(m =>
        compatWrapper(<m.EntityBatchFleetCard />),
      ),
  },
});

/**
 * The "Batch Fleet" page; the app's nav gets its item from the page's title,
 * icon and route ref.
 * @alpha
 */
export const batchFleetPage = PageBlueprint.make({
  name: 'fleet',
  params: {
    path: '/batch-fleet',
    title: 'Batch Fleet',
    icon: <DnsIcon fontSize="inherit" />,
    routeRef: convertLegacyRouteRef(fleetRouteRef),
    // The page draws its own header, as in the legacy app.
    noHeader: true,
    loader: () =>
      import('./components/BatchFleet').then(m =>
        compatWrapper(<m.BatchFleetPage />),
      ),
  },
});

/**
 * Batch Jobs for the new frontend system. Apps with `app.packages: all`
 * discover it; otherwise add it to `createApp({ features })`.
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'batch-jobs',
  title: 'Batch Jobs',
  icon: <DnsIcon fontSize="inherit" />,
  info: { packageJson: () => import('../package.json') },
  routes: convertLegacyRouteRefs({
    entityContent: rootRouteRef,
    fleet: fleetRouteRef,
  }),
  extensions: [
    batchJobsApi,
    batchFleetApi,
    batchOperationsApi,
    batchRoutinesApi,
    batchJobConfigApi,
    batchMissedRunsApi,
    batchJobsEntityContent,
    batchJobsEntityCard,
    batchFleetEntityCard,
    batchFleetPage,
  ],
});

/**
 * Scaffolder field `ui:field: BatchJobSchedule`: a Jenkins timer spec with a
 * live preview of its next runs.
 * @alpha
 */
export const batchJobScheduleFormField = FormFieldBlueprint.make({
  name: 'batch-job-schedule',
  params: {
    field: () =>
      import('./alpha/batchJobScheduleField').then(
        m => m.batchJobScheduleField,
      ),
  },
});

/**
 * Adds the `BatchJobSchedule` field to the scaffolder. Feature discovery only
 * loads default exports: add it to `createApp({ features })`.
 * @alpha
 */
export const scaffolderModuleBatchJobs = createFrontendModule({
  pluginId: 'scaffolder',
  extensions: [batchJobScheduleFormField],
});
