import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import { JobSummary } from '@batch-jobs/plugin-batch-jobs-common';
import Chip from '@material-ui/core/Chip';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { StatusError, StatusOK } from '@backstage/core-components';
import { formatRelative } from '../../format';
import { useEntityJobs } from '../../hooks/useEntityJobs';
import { batchJobsSearch } from '../../hooks/useBatchJobsLocation';
import { BuildStatusLabel, RERUNNABLE_STATUSES } from '../BuildStatus';

/** @public */
export interface BatchJobsCardProps {
  /** Path of the Batch Jobs tab relative to the entity page; default `batch-jobs`. */
  tabPath?: string;
  /** How many failures to list at most; default 8. */
  limit?: number;
}

interface Failure {
  vpc: string;
  job?: JobSummary;
  error?: string;
}

/** Recent failures across the entity's VPCs, linking into the Batch Jobs tab. */
export function BatchJobsCard(props: BatchJobsCardProps) {
  const { tabPath = 'batch-jobs', limit = 8 } = props;
  const { entity } = useEntity();
  const jobs = useEntityJobs(stringifyEntityRef(entity));
  const tab = (search: string) => `${tabPath}${search}`;

  const body = () => {
    if (jobs.loading && !jobs.value) return <Progress />;
    if (jobs.error && !jobs.value) {
      return <ResponseErrorPanel error={jobs.error} />;
    }
    const vpcs = jobs.value?.vpcs ?? [];
    const failures = vpcs.flatMap((vpc): Failure[] =>
      vpc.error
        ? [{ vpc: vpc.vpc, error: vpc.error }]
        : vpc.jobs
            .filter(
              job =>
                job.error ||
                (job.lastBuild && RERUNNABLE_STATUSES.has(job.lastBuild.status)),
            )
            .map(job => ({ vpc: vpc.vpc, job, error: job.error })),
    );
    failures.sort((a, b) =>
      (b.job?.lastBuild?.startedAt ?? '').localeCompare(
        a.job?.lastBuild?.startedAt ?? '',
      ),
    );
    const total = vpcs.reduce((n, vpc) => n + vpc.jobs.length, 0);
    if (failures.length === 0) {
      return (
        <StatusOK>
          All {total} jobs in {vpcs.map(v => v.vpc).join(', ') || 'no VPC'}{' '}
          passed their last run.
        </StatusOK>
      );
    }
    return (
      <>
        <StatusError>
          {failures.length} failing ({total} jobs in{' '}
          {vpcs.map(v => v.vpc).join(', ')})
        </StatusError>
        <List dense>
          {failures.slice(0, limit).map(f => (
            <ListItem key={`${f.vpc}:${f.job?.fullName ?? ''}`} disableGutters>
              <Chip size="small" label={f.vpc} style={{ marginRight: 8 }} />
              <ListItemText
                primary={
                  <Link
                    to={tab(
                      batchJobsSearch({
                        vpc: f.vpc,
                        job: f.job?.fullName,
                        build: f.job?.lastBuild?.number,
                      }),
                    )}
                  >
                    {f.job ? f.job.displayName || f.job.name : `All of ${f.vpc}`}
                  </Link>
                }
                secondary={
                  f.error ? (
                    <Typography variant="caption" color="error">
                      {f.error}
                    </Typography>
                  ) : (
                    f.job?.lastBuild && (
                      <>
                        <BuildStatusLabel status={f.job.lastBuild.status} /> #
                        {f.job.lastBuild.number},{' '}
                        {formatRelative(f.job.lastBuild.startedAt)}
                      </>
                    )
                  )
                }
                secondaryTypographyProps={{ component: 'div' }}
              />
            </ListItem>
          ))}
        </List>
      </>
    );
  };

  return (
    <InfoCard
      title="Batch jobs"
      subheader="Recent failures across VPCs"
      deepLink={{ title: 'All batch jobs', link: tabPath }}
    >
      {body()}
    </InfoCard>
  );
}
