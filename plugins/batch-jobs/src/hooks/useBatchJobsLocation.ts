import { useCallback } from 'react';
import { useSearchParams } from 'react-router-dom';

/** What the tab shows, kept in the URL so deep links and Back work. */
export interface BatchJobsLocation {
  /** Selected VPC tab. */
  vpc?: string;
  /** Full name of the open job. */
  job?: string;
  /** Build whose log is open. */
  build?: number;
  /** `audit` for the audit tab. */
  view?: 'audit';
}

/** `?vpc=DEV&job=…&build=…`, for links that open a view. */
export function batchJobsSearch(location: BatchJobsLocation): string {
  const params = new URLSearchParams();
  if (location.view) params.set('view', location.view);
  if (location.vpc) params.set('vpc', location.vpc);
  if (location.job) params.set('job', location.job);
  if (location.build !== undefined) params.set('build', String(location.build));
  return `?${params}`;
}

export function useBatchJobsLocation(): [
  BatchJobsLocation,
  (next: BatchJobsLocation) => void,
] {
  const [params, setParams] = useSearchParams();
  const buildParam = Number(params.get('build'));
  const location: BatchJobsLocation = {
    vpc: params.get('vpc') ?? undefined,
    job: params.get('job') ?? undefined,
    build:
      params.has('build') && Number.isInteger(buildParam) ? buildParam : undefined,
    view: params.get('view') === 'audit' ? 'audit' : undefined,
  };
  const navigate = useCallback(
    (next: BatchJobsLocation) =>
      setParams(new URLSearchParams(batchJobsSearch(next).slice(1))),
    [setParams],
  );
  return [location, navigate];
}
