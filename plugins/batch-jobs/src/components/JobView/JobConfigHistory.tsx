import { useState } from 'react';
import {
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ApprovalPendingResponse,
  JobConfigVersion,
  RestoreJobConfigResponse,
  batchJobsJobCreatePermission,
  isApprovalPending,
} from '@batch-jobs/plugin-batch-jobs-common';
import Accordion from '@material-ui/core/Accordion';
import AccordionDetails from '@material-ui/core/AccordionDetails';
import AccordionSummary from '@material-ui/core/AccordionSummary';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import DialogContentText from '@material-ui/core/DialogContentText';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';
import Alert from '@material-ui/lab/Alert';
import useAsync from 'react-use/esm/useAsync';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { batchJobConfigApiRef } from '../../api/BatchJobConfigApi';
import {
  errorMessage,
  formatRelative,
  formatTimestamp,
  shortEntityRefName,
} from '../../format';
import { ActionDialog, ApprovalPendingNotice } from '../ActionDialog';
import { PermissionGate } from '../PermissionGate';

const useStyles = makeStyles(theme => ({
  code: {
    fontFamily: 'monospace',
    fontSize: 12,
    whiteSpace: 'pre',
    overflow: 'auto',
    maxHeight: 400,
    padding: theme.spacing(1),
    margin: 0,
    background: theme.palette.background.default,
  },
  added: { color: theme.palette.success.main },
  removed: { color: theme.palette.error.main },
}));

const ACTIONS: Record<JobConfigVersion['action'], string> = {
  'job.update': 'replaced by an update',
  'job.promote': 'replaced by a promotion',
  'job.restore': 'replaced by a restore',
};

const short = (id: string) => id.slice(0, 8);

/** Why the version was replaced: the action, its audit row and approval. */
function why(v: JobConfigVersion): string {
  return [
    ACTIONS[v.action] ?? v.action,
    v.restoredVersionId && `of version ${short(v.restoredVersionId)}`,
    v.auditId && `(audit ${short(v.auditId)})`,
    v.approvalId && `approved in request ${short(v.approvalId)}`,
  ]
    .filter(Boolean)
    .join(' ');
}

/** A unified diff, its added and removed lines coloured. */
function Diff(props: { diff: string; label: string }) {
  const classes = useStyles();
  const classOf = (line: string) => {
    if (line.startsWith('+') && !line.startsWith('+++')) return classes.added;
    if (line.startsWith('-') && !line.startsWith('---')) return classes.removed;
    return undefined;
  };
  return (
    <pre className={classes.code} aria-label={props.label}>
      {props.diff.split('\n').map((line, i) => (
        <div key={i} className={classOf(line)}>
          {line}
        </div>
      ))}
    </pre>
  );
}

/** One version: what a restore would change, and its whole config.xml. */
function VersionDetails(props: { version: JobConfigVersion }) {
  const classes = useStyles();
  const api = useApi(batchJobConfigApiRef);
  const { version } = props;
  const read = useAsync(
    () => api.getConfigVersion(version.id),
    [api, version.id],
  );
  if (read.loading) return <Progress />;
  if (read.error) return <ResponseErrorPanel error={read.error} />;
  const data = read.value!;
  return (
    <Box display="flex" flexDirection="column" gridGap={8}>
      <Typography variant="subtitle2">
        What restoring the version of {formatTimestamp(version.createdAt)} would
        change
      </Typography>
      {!data.jobExists && (
        <Alert severity="warning">
          The job no longer exists: it cannot be restored here.
        </Alert>
      )}
      {data.diff ? (
        <Diff
          diff={data.diff}
          label={`Diff from the current config to version ${short(version.id)}`}
        />
      ) : (
        <Typography variant="body2">
          Nothing: the job has this config now.
        </Typography>
      )}
      <Typography variant="subtitle2">
        config.xml of this version (sha256 {version.sha256.slice(0, 12)}…)
      </Typography>
      <pre
        className={classes.code}
        aria-label={`config.xml of version ${short(version.id)}`}
      >
        {data.configXml}
      </pre>
    </Box>
  );
}

type RestoreAnswer = RestoreJobConfigResponse | ApprovalPendingResponse;

/** "Restore": confirmation, progress, error, and the answer (restored or waiting for approval). */
function RestoreDialog(props: {
  entityRef: string;
  vpc: string;
  job: string;
  version: JobConfigVersion;
  onRestored: () => void;
  onClose: () => void;
}) {
  const { entityRef, vpc, job, version } = props;
  const api = useApi(batchJobConfigApiRef);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [answer, setAnswer] = useState<RestoreAnswer>();

  const restore = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const res = await api.restoreConfig({
        vpc,
        job,
        versionId: version.id,
        entityRef,
      });
      setAnswer(res);
      if (!isApprovalPending(res)) props.onRestored();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <ActionDialog
      title={`Restore the config of ${job}`}
      onClose={props.onClose}
      busy={busy}
      confirm={
        answer
          ? undefined
          : { label: 'Restore', disabled: busy, onClick: restore }
      }
    >
      {!answer && (
        <DialogContentText>
          The job's config.xml becomes the version of{' '}
          {formatTimestamp(version.createdAt)} ({why(version)}). The config it
          has now is kept in this history first, so the restore can be undone;
          its builds are kept, and it stays paused or running as it is. The
          restore is recorded in the audit trail under your name.
        </DialogContentText>
      )}
      {busy && (
        <Box display="flex" alignItems="center" gridGap={8}>
          <CircularProgress size={20} /> Restoring…
        </Box>
      )}
      {error && (
        <Alert severity="error" role="alert">
          The restore failed: {error}
        </Alert>
      )}
      {answer && isApprovalPending(answer) && (
        <ApprovalPendingNotice
          pending={answer}
          why={`${vpc} needs a second person`}
          notYet="Nothing was written yet"
        />
      )}
      {answer && !isApprovalPending(answer) && (
        <Alert severity="success" role="status">
          {answer.action === 'unchanged'
            ? `${job} already had this config: nothing was written (audit ${short(
                answer.auditId,
              )}).`
            : `${job} has the config of ${formatTimestamp(
                version.createdAt,
              )} again (audit ${short(
                answer.auditId,
              )}). The config it replaced is kept in the history.`}
        </Alert>
      )}
    </ActionDialog>
  );
}

function HistoryTable(props: {
  entityRef: string;
  vpc: string;
  job: string;
  onRestored?: () => void;
}) {
  const { entityRef, vpc, job } = props;
  const api = useApi(batchJobConfigApiRef);
  const history = useAsyncRetry(
    () => api.getConfigHistory({ vpc, job }),
    [api, vpc, job],
  );
  const { allowed } = usePermission({
    permission: batchJobsJobCreatePermission,
    resourceRef: vpc,
  });
  const [viewing, setViewing] = useState<JobConfigVersion>();
  const [restoring, setRestoring] = useState<JobConfigVersion>();

  if (history.loading && !history.value) return <Progress />;
  if (history.error) return <ResponseErrorPanel error={history.error} />;
  const data = history.value!;

  const columns: TableColumn<JobConfigVersion>[] = [
    {
      title: 'Replaced',
      render: v => (
        <Tooltip title={formatTimestamp(v.createdAt)}>
          <span>{formatRelative(v.createdAt)}</span>
        </Tooltip>
      ),
    },
    {
      title: 'By',
      render: v => (
        <Tooltip title={v.actor}>
          <span>{shortEntityRefName(v.actor)}</span>
        </Tooltip>
      ),
    },
    { title: 'Why', render: v => why(v) },
    {
      title: '',
      align: 'right',
      render: v => (
        <Box display="flex" justifyContent="flex-end" gridGap={8}>
          <Button
            size="small"
            aria-pressed={viewing?.id === v.id}
            onClick={() => setViewing(viewing?.id === v.id ? undefined : v)}
          >
            {viewing?.id === v.id ? 'Hide' : 'View'}
          </Button>
          <PermissionGate
            allowed={allowed}
            permission={batchJobsJobCreatePermission.name}
          >
            <Button
              size="small"
              color="primary"
              variant="outlined"
              disabled={!allowed}
              aria-label={`Restore the version of ${formatTimestamp(
                v.createdAt,
              )}`}
              onClick={() => setRestoring(v)}
            >
              Restore
            </Button>
          </PermissionGate>
        </Box>
      ),
    },
  ];

  return (
    <Box display="flex" flexDirection="column" gridGap={8} width="100%">
      {restoring && (
        <RestoreDialog
          entityRef={entityRef}
          vpc={vpc}
          job={job}
          version={restoring}
          onRestored={() => {
            history.retry();
            props.onRestored?.();
          }}
          onClose={() => setRestoring(undefined)}
        />
      )}
      <Typography variant="body2" color="textSecondary">
        Each config.xml the portal replaced (update, promotion, restore) is kept
        here before the write; the newest {data.keep} per job.
      </Typography>
      <Table<JobConfigVersion>
        options={{
          paging: false,
          search: false,
          padding: 'dense',
          toolbar: false,
        }}
        columns={columns}
        data={data.items}
        emptyContent={
          <Box p={2}>
            <Typography>
              No config kept yet: the portal has not replaced this job's config.
            </Typography>
          </Box>
        }
      />
      {viewing && <VersionDetails key={viewing.id} version={viewing} />}
    </Box>
  );
}

/**
 * "Config history" of the job view: the config.xml versions portal writes
 * replaced (who, when, why), each one's diff from the current config, and
 * an audited restore (held for a second person where the VPC requires
 * approval). Loaded when opened.
 */
export function JobConfigHistory(props: {
  entityRef: string;
  vpc: string;
  /** Full name of the job. */
  job: string;
  /** Called after a restore wrote the job, to refresh its summary. */
  onRestored?: () => void;
}) {
  const [open, setOpen] = useState(false);
  return (
    <Accordion
      expanded={open}
      onChange={(_e, expanded) => setOpen(expanded)}
      TransitionProps={{ unmountOnExit: true }}
    >
      <AccordionSummary expandIcon={<ExpandMoreIcon />}>
        <Typography variant="h6">Config history</Typography>
      </AccordionSummary>
      <AccordionDetails>{open && <HistoryTable {...props} />}</AccordionDetails>
    </Accordion>
  );
}
