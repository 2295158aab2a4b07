import { useEntity } from '@backstage/plugin-catalog-react';
import { BATCH_JOBS_VPCS_ANNOTATION } from '@batch-jobs/plugin-batch-jobs-common';
import { BatchFleet } from './BatchFleet';

/** The agents of the VPCs an entity uses (`batch-jobs.io/vpcs`, else all). @public */
export function EntityBatchFleetCard(props: { pollIntervalMs?: number }) {
  const { entity } = useEntity();
  const vpcs = entity.metadata.annotations?.[BATCH_JOBS_VPCS_ANNOTATION]
    ?.split(',')
    .map(v => v.trim())
    .filter(Boolean);
  return (
    <BatchFleet
      vpcs={vpcs && vpcs.length > 0 ? vpcs : undefined}
      pollIntervalMs={props.pollIntervalMs}
    />
  );
}
