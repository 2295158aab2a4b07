import { useApi } from '@backstage/core-plugin-api';
import {
  batchJobsJobPausePermission,
  JobPause,
} from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import PauseIcon from '@material-ui/icons/Pause';
import PlayCircleOutlineIcon from '@material-ui/icons/PlayCircleOutline';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import { batchJobsApiRef } from '../../api';
import {
  errorMessage,
  formatRelative,
  formatTimestamp,
  shortEntityRefName,
} from '../../format';
import { EntityActionButton } from '../EntityActionButton';

/** "paused by jane: DB migration, 2 h ago (until …)". */
export function PauseLabel(props: { pause: JobPause }) {
  const { pause } = props;
  return (
    <Typography variant="body2" component="span" color="textSecondary">
      paused by {shortEntityRefName(pause.by)}: {pause.reason},{' '}
      <Tooltip title={formatTimestamp(pause.at)}>
        <span>{formatRelative(pause.at)}</span>
      </Tooltip>
      {pause.until && <> (until {formatTimestamp(pause.until)})</>}
    </Typography>
  );
}

export interface PauseJobButtonProps {
  entityRef: string;
  vpc: string;
  job: string;
  /** Whether Jenkins shows the job disabled. */
  paused: boolean;
  /** Who paused it and why, when paused through the portal. */
  pause?: JobPause;
  /** Called after a pause or resume, e.g. to refresh the jobs. */
  onChanged?: () => void;
  /** When given, the button only calls it: the caller renders PauseJobDialog itself. */
  onOpen?: () => void;
}

/** A `datetime-local` value (local time, no zone) as an ISO instant. */
function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const t = new Date(value).getTime();
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

/** The pause/resume dialog; render it outside table rows (rows are re-created on refresh). */
export function PauseJobDialog(
  props: PauseJobButtonProps & { onClose: () => void },
) {
  const { entityRef, vpc, job, paused } = props;
  const api = useApi(batchJobsApiRef);
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const [reasonMissing, setReasonMissing] = useState(false);
  const jobName = job.split('/').pop();
  const verb = paused ? 'Resume' : 'Pause';
  const close = props.onClose;

  const confirm = async () => {
    if (!paused && !reason.trim()) {
      setReasonMissing(true);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      if (paused) {
        await api.resumeJob({
          vpc,
          job,
          entityRef,
          ...(reason.trim() ? { reason: reason.trim() } : {}),
        });
      } else {
        const end = localToIso(until);
        await api.pauseJob({
          vpc,
          job,
          entityRef,
          reason: reason.trim(),
          ...(end ? { until: end } : {}),
        });
      }
      setBusy(false);
      close();
      props.onChanged?.();
    } catch (e) {
      setError(e as Error);
      setBusy(false);
    }
  };

  return (
    <Dialog
      open
      onClose={busy ? undefined : close}
      maxWidth="sm"
      fullWidth
      onClick={e => e.stopPropagation()}
    >
      <DialogTitle>
        {verb} {jobName} in {vpc}
      </DialogTitle>
      <DialogContent>
        <DialogContentText>
          {paused
            ? 'Jenkins enables the job again: its timer fires and it can be started.'
            : 'Jenkins disables the job: its timer stops firing and nobody can start it until it is resumed.'}
        </DialogContentText>
        {paused && props.pause && (
          <Box mb={2}>
            <PauseLabel pause={props.pause} />
          </Box>
        )}
        <Box display="flex" flexDirection="column" gridGap={16}>
          <TextField
            id="pause-reason"
            label={paused ? 'Note (optional)' : 'Reason'}
            required={!paused}
            value={reason}
            onChange={e => {
              setReason(e.target.value);
              setReasonMissing(false);
            }}
            error={reasonMissing}
            helperText={
              reasonMissing
                ? 'Say why, e.g. "DB migration": it is shown next to the job'
                : undefined
            }
            variant="outlined"
            size="small"
          />
          {!paused && (
            <TextField
              id="pause-until"
              label="Resume by itself at (optional)"
              type="datetime-local"
              value={until}
              onChange={e => setUntil(e.target.value)}
              InputLabelProps={{ shrink: true }}
              variant="outlined"
              size="small"
            />
          )}
        </Box>
        {busy && (
          <Box
            mt={2}
            display="flex"
            alignItems="center"
            gridGap={8}
            role="status"
          >
            <CircularProgress size={20} /> Asking Jenkins…
          </Box>
        )}
        {error && (
          <Box mt={2}>
            <Alert severity="error">
              Jenkins refused: {errorMessage(error)}
            </Alert>
          </Box>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={close} disabled={busy}>
          Cancel
        </Button>
        <Button
          variant="contained"
          color="primary"
          onClick={confirm}
          disabled={busy}
        >
          {verb} job
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** "Pause" (with a reason and an optional end) or "Resume" a job's schedule. */
export function PauseJobButton(props: PauseJobButtonProps) {
  const verb = props.paused ? 'Resume' : 'Pause';
  return (
    <EntityActionButton
      permission={batchJobsJobPausePermission}
      entityRef={props.entityRef}
      deniedReason="You are not allowed to pause or resume jobs of this entity"
      label={verb}
      ariaLabel={`${verb} ${props.job.split('/').pop()}`}
      icon={props.paused ? <PlayCircleOutlineIcon /> : <PauseIcon />}
      onOpen={props.onOpen}
      dialog={onClose => <PauseJobDialog {...props} onClose={onClose} />}
    />
  );
}
