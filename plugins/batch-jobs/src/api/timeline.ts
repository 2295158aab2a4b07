import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import { VpcTimeline } from '@internal/plugin-batch-jobs-common';

/**
 * `GET /vpcs/:vpc/timeline?from=&to=`: every scheduled run of the VPC's
 * jobs in the range (at most 7 days), grouped by agent label, with the
 * intervals where runs outnumber the label's executors.
 * @public
 */
export async function fetchVpcTimeline(
  apis: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  request: { vpc: string; from?: Date; to?: Date },
): Promise<VpcTimeline> {
  const base = await apis.discoveryApi.getBaseUrl('batch-jobs');
  const query = new URLSearchParams();
  if (request.from) query.set('from', request.from.toISOString());
  if (request.to) query.set('to', request.to.toISOString());
  const suffix = query.toString() ? `?${query}` : '';
  const res = await apis.fetchApi.fetch(
    `${base}/vpcs/${encodeURIComponent(request.vpc)}/timeline${suffix}`,
  );
  if (!res.ok) throw await ResponseError.fromResponse(res);
  return res.json();
}
