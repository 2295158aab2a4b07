import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  BuildStage,
  PendingInput,
  StageStatus,
  batchJobsInputSubmitPermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import ButtonBase from '@material-ui/core/ButtonBase';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Paper from '@material-ui/core/Paper';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import Alert from '@material-ui/lab/Alert';
import { BuildRef, batchJobsApiRef } from '../../api';
import { errorMessage, formatDuration, formatTimestamp } from '../../format';
import { StatusTone, ToneLabel } from '../BuildStatus/BuildStatus';
import { PermissionGate } from '../PermissionGate';

const STATUS_LABELS: Record<StageStatus, string> = {
  success: 'Success',
  failed: 'Failed',
  unstable: 'Unstable',
  aborted: 'Aborted',
  in_progress: 'Running',
  paused_pending_input: 'Waiting for input',
  not_executed: 'Not run',
  unknown: 'Unknown',
};

const STAGE_TONES: Record<StageStatus, StatusTone> = {
  success: 'ok',
  failed: 'error',
  unstable: 'warning',
  paused_pending_input: 'warning',
  aborted: 'aborted',
  in_progress: 'running',
  not_executed: 'pending',
  unknown: 'pending',
};

/** A stage's status as a coloured Backstage status. */
export function StageStatusLabel(props: { status: StageStatus }) {
  return (
    <ToneLabel tone={STAGE_TONES[props.status] ?? 'pending'}>
      {STATUS_LABELS[props.status] ?? props.status}
    </ToneLabel>
  );
}

const useStyles = makeStyles(theme => ({
  stage: {
    display: 'block',
    textAlign: 'left',
    padding: theme.spacing(1),
    borderRadius: theme.shape.borderRadius,
    border: `1px solid ${theme.palette.divider}`,
    minWidth: 140,
  },
  wrong: {
    borderColor: theme.palette.error.main,
    borderWidth: 2,
    backgroundColor: theme.palette.type === 'dark' ? undefined : '#fdecea',
  },
  selected: {
    outline: `2px solid ${theme.palette.primary.main}`,
  },
  log: {
    fontFamily: 'monospace',
    fontSize: 12,
    whiteSpace: 'pre-wrap',
    maxHeight: 320,
    overflow: 'auto',
    margin: 0,
    padding: theme.spacing(1),
  },
}));

function StageBox(props: {
  stage: BuildStage;
  selected: boolean;
  wentWrong: boolean;
  onOpen: (stage: BuildStage) => void;
}) {
  const classes = useStyles();
  const { stage } = props;
  const className = [
    classes.stage,
    props.wentWrong ? classes.wrong : '',
    props.selected ? classes.selected : '',
  ].join(' ');
  return (
    <ButtonBase
      className={className}
      onClick={() => props.onOpen(stage)}
      aria-label={`Stage ${stage.name}: ${STATUS_LABELS[stage.status]}`}
      data-testid={`stage-${stage.id}`}
    >
      <Typography variant="subtitle2">{stage.name}</Typography>
      <StageStatusLabel status={stage.status} />
      <Typography variant="caption" display="block" color="textSecondary">
        {stage.startedAt ? formatTimestamp(stage.startedAt) : 'not started'}
        {stage.startedAt ? ` · ${formatDuration(stage.durationMs)}` : ''}
      </Typography>
    </ButtonBase>
  );
}

/**
 * A pipeline build's stages (Stage View): status, start and duration of
 * each, parallel branches stacked under their stage, the stage that failed
 * highlighted, and a click that opens a stage's log. Builds paused at an
 * `input` show it with its parameters and Proceed / Abort. Renders nothing
 * for a freestyle build.
 */
export function BuildStages(props: {
  build: BuildRef;
  entityRef: string;
  /** Called after an input was answered (the build goes on or ends). */
  onChanged?: () => void;
}) {
  const api = useApi(batchJobsApiRef);
  const { vpc, job, number } = props.build;
  const stages = useAsyncRetry(
    () => api.getBuildStages({ vpc, job, number }),
    [api, vpc, job, number],
  );
  const [open, setOpen] = useState<BuildStage>();
  // Kept here, not in the input's form: once answered, the input is no
  // longer pending and its form goes with the next read of the stages.
  const [answered, setAnswered] = useState<'proceed' | 'abort'>();
  const log = useAsyncRetry(
    async () =>
      open ? api.getStageLog({ vpc, job, number, stage: open.id }) : undefined,
    [api, vpc, job, number, open?.id],
  );
  const classes = useStyles();

  if (stages.loading && !stages.value) return <Progress />;
  if (stages.error) return <ResponseErrorPanel error={stages.error} />;
  const run = stages.value;
  if (!run || !run.pipeline) return null;
  const failedId = run.failedStage?.id;

  return (
    <Box mb={2}>
      <Typography variant="h6">Stages</Typography>
      {run.failedStage && (
        <Typography variant="body2" color="error">
          {run.failedStage.status === 'unstable' ? 'Unstable' : 'Failed'} in
          stage {run.failedStage.name}
        </Typography>
      )}
      {run.stages.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          No stage has started yet.
        </Typography>
      )}
      <Box
        display="flex"
        flexWrap="wrap"
        gridGap={8}
        mt={1}
        role="list"
        aria-label="Stages"
      >
        {run.stages.map(stage => (
          <Box
            key={stage.id}
            display="flex"
            flexDirection="column"
            gridGap={4}
            role="listitem"
          >
            <StageBox
              stage={stage}
              selected={open?.id === stage.id}
              wentWrong={stage.id === failedId}
              onOpen={setOpen}
            />
            {stage.branches && (
              <Box
                pl={2}
                display="flex"
                flexDirection="column"
                gridGap={4}
                aria-label={`Parallel branches of ${stage.name}`}
              >
                {stage.branches.map(branch => (
                  <StageBox
                    key={branch.id}
                    stage={branch}
                    selected={open?.id === branch.id}
                    wentWrong={branch.id === failedId}
                    onOpen={setOpen}
                  />
                ))}
              </Box>
            )}
          </Box>
        ))}
      </Box>
      {run.pendingInputs.map(input => (
        <InputForm
          key={input.id}
          build={props.build}
          entityRef={props.entityRef}
          input={input}
          onAnswered={action => {
            setAnswered(action);
            stages.retry();
            props.onChanged?.();
          }}
        />
      ))}
      {answered && (
        <Alert severity="success" role="status" style={{ marginTop: 8 }}>
          {answered === 'proceed'
            ? 'Proceeded: the build goes on. Recorded in the audit trail under your name.'
            : 'Aborted: the build ends. Recorded in the audit trail under your name.'}
        </Alert>
      )}
      {open && (
        <Paper variant="outlined" style={{ marginTop: 8 }}>
          <Box p={1} display="flex" alignItems="center" gridGap={8}>
            <Typography variant="subtitle2">
              Log of stage {open.name}
            </Typography>
            <Button size="small" onClick={log.retry}>
              Refresh
            </Button>
            <Button size="small" onClick={() => setOpen(undefined)}>
              Close
            </Button>
          </Box>
          {log.loading && <Progress />}
          {log.error && <ResponseErrorPanel error={log.error} />}
          {log.value && (
            <pre
              className={classes.log}
              aria-label={`Log of stage ${open.name}`}
            >
              {log.value.text || '(empty)'}
            </pre>
          )}
        </Paper>
      )}
    </Box>
  );
}

/** "Waiting for input: <message>" with the input's parameters, Proceed and Abort. */
export function InputForm(props: {
  build: BuildRef;
  entityRef: string;
  input: PendingInput;
  onAnswered?: (action: 'proceed' | 'abort') => void;
}) {
  const api = useApi(batchJobsApiRef);
  const { input } = props;
  const { allowed, loading } = usePermission({
    permission: batchJobsInputSubmitPermission,
    resourceRef: props.entityRef,
  });
  const [values, setValues] = useState<Record<string, string | boolean>>(() =>
    Object.fromEntries(
      input.parameters.map(p => [
        p.name,
        p.default ?? (p.type === 'boolean' ? false : p.choices?.[0] ?? ''),
      ]),
    ),
  );
  const [state, setState] = useState<
    | { step: 'idle' }
    | { step: 'sending' }
    | { step: 'done' }
    | { step: 'failed'; error: unknown }
  >({ step: 'idle' });

  const answer = async (action: 'proceed' | 'abort') => {
    setState({ step: 'sending' });
    try {
      await api.submitInput({
        ...props.build,
        inputId: input.id,
        action,
        ...(action === 'proceed' ? { parameters: values } : {}),
        entityRef: props.entityRef,
      });
      setState({ step: 'done' });
      props.onAnswered?.(action);
    } catch (error) {
      setState({ step: 'failed', error });
    }
  };
  const disabled =
    !allowed || loading || state.step === 'sending' || state.step === 'done';

  return (
    <Paper variant="outlined" style={{ marginTop: 8 }}>
      <Box p={2} display="flex" flexDirection="column" gridGap={8}>
        <Alert severity="warning">Waiting for input: {input.message}</Alert>
        {input.parameters.map(p => {
          const value = values[p.name];
          const set = (v: string | boolean) =>
            setValues(old => ({ ...old, [p.name]: v }));
          if (p.type === 'boolean') {
            return (
              <FormControlLabel
                key={p.name}
                control={
                  <Checkbox
                    checked={value === true}
                    onChange={e => set(e.target.checked)}
                    disabled={disabled}
                  />
                }
                label={p.description ? `${p.name} — ${p.description}` : p.name}
              />
            );
          }
          return (
            <TextField
              key={p.name}
              label={p.name}
              helperText={p.description}
              select={p.type === 'choice'}
              type={p.type === 'password' ? 'password' : 'text'}
              multiline={p.type === 'text'}
              value={String(value ?? '')}
              onChange={e => set(e.target.value)}
              disabled={disabled}
              variant="outlined"
              size="small"
              inputProps={{ 'aria-label': p.name }}
            >
              {(p.choices ?? []).map(choice => (
                <MenuItem key={choice} value={choice}>
                  {choice}
                </MenuItem>
              ))}
            </TextField>
          );
        })}
        <Box display="flex" gridGap={8}>
          <PermissionGate
            allowed={allowed || loading}
            permission={batchJobsInputSubmitPermission.name}
          >
            <Button
              variant="contained"
              color="primary"
              disabled={disabled}
              onClick={() => answer('proceed')}
            >
              {input.proceedText || 'Proceed'}
            </Button>
          </PermissionGate>
          <PermissionGate
            allowed={allowed || loading}
            permission={batchJobsInputSubmitPermission.name}
          >
            <Button
              variant="outlined"
              disabled={disabled}
              onClick={() => answer('abort')}
            >
              Abort
            </Button>
          </PermissionGate>
        </Box>
        {state.step === 'failed' && (
          <Alert severity="error">
            The answer failed: {errorMessage(state.error)}
          </Alert>
        )}
      </Box>
    </Paper>
  );
}
