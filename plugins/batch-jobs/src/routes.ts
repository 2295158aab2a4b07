import { createRouteRef } from '@backstage/core-plugin-api';

/** Mount point of the entity tab. */
export const rootRouteRef = createRouteRef({ id: 'batch-jobs' });

/** Mount point of the Batch Fleet page. */
export const fleetRouteRef = createRouteRef({ id: 'batch-jobs-fleet' });
