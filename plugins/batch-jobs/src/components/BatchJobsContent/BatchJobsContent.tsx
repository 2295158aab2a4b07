import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
  WarningPanel,
} from '@backstage/core-components';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import {
  BATCH_JOBS_ANNOTATION,
  JENKINS_JOB_FULL_NAME_ANNOTATION,
  VpcJobs,
} from '@batch-jobs/plugin-batch-jobs-common';
import Badge from '@material-ui/core/Badge';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Paper from '@material-ui/core/Paper';
import Tab from '@material-ui/core/Tab';
import Tabs from '@material-ui/core/Tabs';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { isBatchJobsAvailable } from '../../conditions';
import { errorMessage } from '../../format';
import { useBatchJobsLocation } from '../../hooks/useBatchJobsLocation';
import { useEntityJobs } from '../../hooks/useEntityJobs';
import { AuditList } from '../AuditList';
import { RERUNNABLE_STATUSES } from '../BuildStatus';
import { JobsTable } from '../JobsTable';
import { ScheduleTimeline } from '../ScheduleTimeline';
import { JobView } from '../JobView';
import { useMissedRuns } from '../MissedRuns';

const AUDIT_TAB = '__audit';

const useStyles = makeStyles(theme => ({
  tabs: { marginBottom: theme.spacing(2) },
  badge: { right: -12 },
}));

/** Jobs whose last build failed, was unstable or aborted, or cannot be read. */
export function failingJobCount(vpc: VpcJobs): number {
  return vpc.jobs.filter(
    job =>
      Boolean(job.error) ||
      (job.lastBuild && RERUNNABLE_STATUSES.has(job.lastBuild.status)),
  ).length;
}

function VpcTabLabel(props: { vpc: VpcJobs }) {
  const classes = useStyles();
  const { vpc } = props;
  if (vpc.error) {
    return (
      <Badge color="error" badgeContent="!" classes={{ badge: classes.badge }}>
        {vpc.vpc}
      </Badge>
    );
  }
  const label = `${vpc.vpc} (${vpc.jobs.length})`;
  const failing = failingJobCount(vpc);
  if (failing === 0) return <>{label}</>;
  return (
    <Badge
      color="error"
      badgeContent={failing}
      classes={{ badge: classes.badge }}
      title={`${failing} failing`}
    >
      {label}
    </Badge>
  );
}

function VpcPanel(props: {
  vpc: VpcJobs;
  annotation: { name: string; value: string };
  entityRef?: string;
  onChanged?: () => void;
}) {
  const { vpc } = props;
  const { value: missedRuns } = useMissedRuns({
    vpc: vpc.vpc,
    entityRef: props.entityRef,
  });
  if (vpc.error) {
    return (
      <WarningPanel
        severity="error"
        title={`Could not read the jobs of ${vpc.vpc}`}
        message={`${vpc.error} (Jenkins instance "${vpc.jenkins}"). The other VPCs are not affected.`}
      />
    );
  }
  if (vpc.jobs.length === 0) {
    return (
      <EmptyState
        missing="data"
        title={`No jobs in ${vpc.vpc}`}
        description={
          props.annotation.name === BATCH_JOBS_ANNOTATION
            ? `The annotation ${BATCH_JOBS_ANNOTATION}: "${props.annotation.value}" matches no job in ${vpc.vpc}. Each selector is a path relative to the VPC's folder in Jenkins, e.g. "my-service" or "my-service/daily-*".`
            : `The annotation ${props.annotation.name}: "${props.annotation.value}" matches no job in ${vpc.vpc}. Each name is a Jenkins full name, of a job or of a folder of jobs, e.g. "${vpc.vpc}/my-service".`
        }
      />
    );
  }
  return (
    <Grid container spacing={2}>
      <Grid item xs={12}>
        <JobsTable
          vpc={vpc.vpc}
          jobs={vpc.jobs}
          entityRef={props.entityRef}
          onChanged={props.onChanged}
          missedRuns={missedRuns}
        />
      </Grid>
      <Grid item xs={12}>
        {/* The entity's jobs: other teams' jobs are theirs to read (the whole
            VPC's timeline needs batch-jobs.vpc.read). */}
        <ScheduleTimeline vpc={vpc.vpc} entityRef={props.entityRef} />
      </Grid>
    </Grid>
  );
}

/** The "Batch Jobs" entity tab. */
export function BatchJobsContent() {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const available = isBatchJobsAvailable(entity);
  // The annotation the entity names its jobs with, ours first.
  const annotations = entity.metadata.annotations ?? {};
  const name = annotations[BATCH_JOBS_ANNOTATION]?.trim()
    ? BATCH_JOBS_ANNOTATION
    : JENKINS_JOB_FULL_NAME_ANNOTATION;
  const annotation = { name, value: annotations[name]?.trim() ?? '' };

  if (!available) {
    return <MissingAnnotationEmptyState annotation={BATCH_JOBS_ANNOTATION} />;
  }
  return <BatchJobsForEntity entityRef={entityRef} annotation={annotation} />;
}

function BatchJobsForEntity(props: {
  entityRef: string;
  annotation: { name: string; value: string };
}) {
  const { entityRef, annotation } = props;
  const classes = useStyles();
  const jobs = useEntityJobs(entityRef);
  const [location, navigate] = useBatchJobsLocation();

  if (jobs.loading && !jobs.value) return <Progress />;
  if (jobs.error && !jobs.value)
    return <ResponseErrorPanel error={jobs.error} />;

  const vpcs = jobs.value?.vpcs ?? [];
  if (vpcs.length === 0) {
    return (
      <EmptyState
        missing="data"
        title="No VPC to show"
        description={`No configured VPC applies to this entity. Check the ${BATCH_JOBS_ANNOTATION} and batch-jobs.io/vpcs (or ${JENKINS_JOB_FULL_NAME_ANNOTATION}) annotations and the batchJobs.vpcs configuration.`}
      />
    );
  }

  const selected =
    location.view === 'audit'
      ? AUDIT_TAB
      : vpcs.find(v => v.vpc === location.vpc)?.vpc ?? vpcs[0].vpc;
  const selectedVpc = vpcs.find(v => v.vpc === selected);

  return (
    <Box>
      {jobs.error && (
        <Box mb={1}>
          <Typography variant="caption" color="error">
            Refresh failed, showing earlier data: {errorMessage(jobs.error)}
          </Typography>
        </Box>
      )}
      <Paper className={classes.tabs}>
        <Tabs
          value={selected}
          onChange={(_e, value: string) =>
            navigate(value === AUDIT_TAB ? { view: 'audit' } : { vpc: value })
          }
          indicatorColor="primary"
          variant="scrollable"
          aria-label="VPCs"
        >
          {vpcs.map(vpc => (
            <Tab
              key={vpc.vpc}
              value={vpc.vpc}
              label={<VpcTabLabel vpc={vpc} />}
            />
          ))}
          <Tab value={AUDIT_TAB} label="Audit" />
        </Tabs>
      </Paper>
      {selected === AUDIT_TAB && <AuditList entityRef={entityRef} />}
      {selectedVpc && location.job && !selectedVpc.error && (
        <JobView
          key={`${selectedVpc.vpc}:${location.job}`}
          entityRef={entityRef}
          vpc={selectedVpc.vpc}
          job={location.job}
          summary={selectedVpc.jobs.find(j => j.fullName === location.job)}
          selectedBuild={location.build}
          onJobChanged={jobs.reload}
          vpcs={vpcs.map(v => v.vpc)}
          onSelectBuild={build =>
            navigate({ vpc: selectedVpc.vpc, job: location.job, build })
          }
        />
      )}
      {selectedVpc && (!location.job || selectedVpc.error) && (
        <VpcPanel
          vpc={selectedVpc}
          annotation={annotation}
          entityRef={entityRef}
          onChanged={jobs.reload}
        />
      )}
    </Box>
  );
}
