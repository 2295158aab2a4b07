import { useState } from 'react';
import {
  InfoCard,
  Link,
  LinkButton,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { BuildSummary, JobSummary } from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import ArrowBackIcon from '@material-ui/icons/ArrowBack';
import OpenInNewIcon from '@material-ui/icons/OpenInNew';
import { formatDuration, formatRelative, formatTimestamp } from '../../format';
import { useBuilds } from '../../hooks/useBuilds';
import { batchJobsSearch } from '../../hooks/useBatchJobsLocation';
import {
  BuildCauseLabel,
  BuildParameters,
  BuildStatusLabel,
  RERUNNABLE_STATUSES,
} from '../BuildStatus';
import { LogViewer } from '../LogViewer';
import { BuildStages } from '../BuildStages';
import { PauseJobButton, PauseLabel } from '../PauseJob';
import { RunJobButton } from '../RunJob';
import { StopBuildButton, StopBuildDialog } from '../StopBuild';
import { JobStats } from '../JobStats';
import { MissedRunsCard } from '../MissedRuns';
import { JobComparePanel } from '../JobCompare';
import { NextRuns } from '../NextRuns';
import { RerunButton, RerunDialog } from '../RerunButton';
import { TemplateChip, UpdateTemplateButton } from '../JobTemplate';
import { JobConfigHistory } from './JobConfigHistory';

export interface JobViewProps {
  entityRef: string;
  vpc: string;
  /** Full name of the job. */
  job: string;
  /** The job's summary when the jobs list has it (a deep link may be first). */
  summary?: JobSummary;
  selectedBuild?: number;
  onSelectBuild: (number: number | undefined) => void;
  pageSize?: number;
  /** Called after the job was paused, resumed or updated, to refresh its summary. */
  onJobChanged?: () => void;
  /** The entity's VPCs in promotion order (DEV, STG, PROD): enables "Compare across VPCs". */
  vpcs?: string[];
}

/** Builds of one job (paged on the server), their causes, reruns and logs. */
export function JobView(props: JobViewProps) {
  const { entityRef, vpc, job, summary, selectedBuild, onSelectBuild } = props;
  const builds = useBuilds({ vpc, job }, props.pageSize);
  const jobName = summary?.displayName ?? job.split('/').pop();
  // Outside the rows: rows are re-created when the builds refresh.
  const [stopOf, setStopOf] = useState<number>();
  const disabled =
    summary?.buildable === false ||
    Boolean(summary?.color?.startsWith('disabled'));
  // Kept here, not in the row: rows are re-created when the builds refresh.
  const [rerunOf, setRerunOf] = useState<BuildSummary>();

  const columns: TableColumn<BuildSummary>[] = [
    {
      title: '#',
      field: 'number',
      width: '6%',
      render: b => (
        <Typography variant="body2" component="span">
          <b>#{b.number}</b>
        </Typography>
      ),
    },
    { title: 'Status', render: b => <BuildStatusLabel status={b.status} /> },
    {
      title: 'Started',
      render: b => (
        <Tooltip title={formatTimestamp(b.startedAt)}>
          <span>{formatRelative(b.startedAt)}</span>
        </Tooltip>
      ),
    },
    {
      title: 'Duration',
      render: b =>
        `${formatDuration(b.durationMs)}${b.building ? ' so far' : ''}`,
    },
    { title: 'Cause', render: b => <BuildCauseLabel causes={b.causes} /> },
    {
      title: 'Parameters',
      render: b => <BuildParameters parameters={b.parameters} />,
    },
    {
      title: '',
      align: 'right',
      render: b => (
        <Box display="flex" justifyContent="flex-end" gridGap={8}>
          {RERUNNABLE_STATUSES.has(b.status) && (
            <RerunButton
              entityRef={entityRef}
              vpc={vpc}
              job={job}
              build={b}
              onOpen={setRerunOf}
            />
          )}
          {b.building && (
            <StopBuildButton
              entityRef={entityRef}
              vpc={vpc}
              job={job}
              number={b.number}
              onOpen={() => setStopOf(b.number)}
            />
          )}
          <Tooltip title="Open in Jenkins">
            <Button
              size="small"
              href={b.url}
              target="_blank"
              rel="noopener noreferrer"
              aria-label={`Open build #${b.number} in Jenkins`}
              onClick={e => e.stopPropagation()}
            >
              <OpenInNewIcon fontSize="small" />
            </Button>
          </Tooltip>
        </Box>
      ),
    },
  ];

  const selected = builds.items.find(b => b.number === selectedBuild);

  return (
    <Grid container spacing={2}>
      {stopOf !== undefined && (
        <StopBuildDialog
          entityRef={entityRef}
          vpc={vpc}
          job={job}
          number={stopOf}
          onStopped={builds.refresh}
          onClose={() => setStopOf(undefined)}
        />
      )}
      {rerunOf && (
        <RerunDialog
          entityRef={entityRef}
          vpc={vpc}
          job={job}
          build={rerunOf}
          onOpenBuild={onSelectBuild}
          onStarted={builds.refresh}
          onClose={() => setRerunOf(undefined)}
        />
      )}
      <Grid item xs={12}>
        <Box display="flex" alignItems="center" gridGap={12} flexWrap="wrap">
          <LinkButton
            to={batchJobsSearch({ vpc })}
            startIcon={<ArrowBackIcon />}
            size="small"
          >
            All jobs in {vpc}
          </LinkButton>
          <Typography variant="h5">{jobName}</Typography>
          <Chip size="small" label={vpc} />
          {summary?.schedule.spec && (
            <Chip
              size="small"
              variant="outlined"
              label={<code>{summary.schedule.spec}</code>}
            />
          )}
          {disabled && <Chip size="small" color="secondary" label="paused" />}
          <TemplateChip template={summary?.template} />
          <RunJobButton
            entityRef={entityRef}
            vpc={vpc}
            job={job}
            onOpenBuild={onSelectBuild}
            onStarted={builds.refresh}
            disabledReason={
              disabled ? 'The job is paused: resume it to run it' : undefined
            }
          />
          {summary && (
            <PauseJobButton
              entityRef={entityRef}
              vpc={vpc}
              job={job}
              paused={disabled}
              pause={summary.pause}
              onChanged={props.onJobChanged}
            />
          )}
          <UpdateTemplateButton
            entityRef={entityRef}
            vpc={vpc}
            job={job}
            template={summary?.template}
            onUpdated={props.onJobChanged}
          />
          {summary?.url && (
            <Link to={summary.url}>
              Open in Jenkins <OpenInNewIcon fontSize="inherit" />
            </Link>
          )}
        </Box>
        {summary?.pause && <PauseLabel pause={summary.pause} />}
        {disabled && !summary?.pause && (
          <Typography variant="body2" color="textSecondary">
            Disabled in Jenkins (not through the portal): its timer does not
            fire.
          </Typography>
        )}
        {summary?.error && (
          <Typography color="error" variant="body2">
            {summary.error}
          </Typography>
        )}
      </Grid>
      {summary && (
        <>
          <Grid item xs={12} md={6}>
            <InfoCard title="Schedule" variant="gridItem">
              {summary.loading?.includes('schedule') ? (
                <Typography variant="body2" color="textSecondary" role="status">
                  Reading the schedule from Jenkins…
                </Typography>
              ) : (
                <NextRuns schedule={summary.schedule} />
              )}
            </InfoCard>
          </Grid>
          <Grid item xs={12} md={6}>
            <InfoCard title="Recent builds" variant="gridItem">
              {summary.loading?.includes('stats') ? (
                <Typography variant="body2" color="textSecondary" role="status">
                  Reading recent builds from Jenkins…
                </Typography>
              ) : (
                <JobStats stats={summary.stats} width={240} height={48} />
              )}
            </InfoCard>
          </Grid>
          {summary.schedule.spec && (
            <Grid item xs={12}>
              <MissedRunsCard vpc={vpc} job={job} entityRef={entityRef} />
            </Grid>
          )}
          {props.vpcs && props.vpcs.length > 1 && (
            <Grid item xs={12}>
              <JobComparePanel
                vpc={vpc}
                job={job}
                vpcs={props.vpcs}
                entityRef={entityRef}
              />
            </Grid>
          )}
        </>
      )}
      <Grid item xs={12}>
        <JobConfigHistory
          entityRef={entityRef}
          vpc={vpc}
          job={job}
          onRestored={props.onJobChanged}
        />
      </Grid>
      <Grid item xs={12}>
        {builds.loading && <Progress />}
        {!builds.loading && builds.error && builds.items.length === 0 && (
          <ResponseErrorPanel error={builds.error} />
        )}
        {!builds.loading && (builds.items.length > 0 || !builds.error) && (
          <Table<BuildSummary>
            title={`Builds of ${jobName}`}
            options={{ paging: false, search: false, padding: 'dense' }}
            columns={columns}
            data={builds.items}
            onRowClick={(_e, row) => row && onSelectBuild(row.number)}
            emptyContent={
              <Box p={2}>
                <Typography>This job has no builds yet.</Typography>
              </Box>
            }
          />
        )}
        {builds.hasMore && (
          <Box mt={1} display="flex" justifyContent="center">
            <Button
              variant="outlined"
              onClick={builds.loadMore}
              disabled={builds.loadingMore}
            >
              {builds.loadingMore ? 'Loading…' : 'Load older builds'}
            </Button>
          </Box>
        )}
        {builds.loadMoreError && (
          <ResponseErrorPanel error={builds.loadMoreError} />
        )}
      </Grid>
      <Grid item xs={12}>
        {selectedBuild !== undefined ? (
          <InfoCard
            title={`Console log of #${selectedBuild}`}
            subheader={
              selected ? (
                <Box display="flex" gridGap={8} alignItems="center">
                  <BuildStatusLabel status={selected.status} />
                  <BuildCauseLabel causes={selected.causes} />
                </Box>
              ) : undefined
            }
          >
            <BuildStages
              build={{ vpc, job, number: selectedBuild }}
              entityRef={entityRef}
              onChanged={builds.refresh}
            />
            <LogViewer build={{ vpc, job, number: selectedBuild }} />
          </InfoCard>
        ) : (
          <Typography variant="body2" color="textSecondary">
            Select a build to read its console log.
          </Typography>
        )}
      </Grid>
    </Grid>
  );
}
