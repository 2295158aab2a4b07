import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  batchJobsJobRunPermission,
  JobParametersResponse,
} from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import DialogContentText from '@material-ui/core/DialogContentText';
import TextField from '@material-ui/core/TextField';
import PlayArrowIcon from '@material-ui/icons/PlayArrow';
import Alert from '@material-ui/lab/Alert';
import { useEffect, useState } from 'react';
import { batchJobsApiRef } from '../../api';
import { errorMessage } from '../../format';
import { BuildStartDialog } from '../BuildStartProgress';
import { useBuildStart } from '../../hooks/useBuildStart';
import {
  initialValues,
  RunFormValues,
  RunJobForm,
  toRequestParameters,
  validateRunForm,
} from './RunJobForm';
import { EntityActionButton } from '../EntityActionButton';

export interface RunJobButtonProps {
  entityRef: string;
  vpc: string;
  /** Full name of the job. */
  job: string;
  /** Pre-fill the form with this build's values instead of the defaults. */
  fromBuild?: number;
  /** Opens the new build in the job view. */
  onOpenBuild?: (number: number) => void;
  /** Called once the new build exists. */
  onStarted?: () => void;
  /** Disabled (with this reason) though the user may run jobs, e.g. the job is paused. */
  disabledReason?: string;
  size?: 'small' | 'medium';
  /** When given, the button only calls it: the caller renders RunJobDialog itself. */
  onOpen?: () => void;
}

function introduction(count: number, fromBuild: number | undefined): string {
  if (count === 0) return ' (the job takes no parameters).';
  if (fromBuild === undefined) return ' with these parameters:';
  return ` with the values of build #${fromBuild} (passwords are never copied):`;
}

/** The run form and the build's progress; render it outside table rows (rows are re-created on refresh). */
export function RunJobDialog(
  props: RunJobButtonProps & { onClose: () => void },
) {
  const { entityRef, vpc, job, onOpenBuild, onStarted, onClose } = props;
  const api = useApi(batchJobsApiRef);
  const { progress, submit, back } = useBuildStart(api.runJob.bind(api));
  const [loaded, setLoaded] = useState<JobParametersResponse>();
  const [loadError, setLoadError] = useState<Error>();
  const [values, setValues] = useState<RunFormValues>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [prefill, setPrefill] = useState(
    props.fromBuild !== undefined ? String(props.fromBuild) : '',
  );
  const jobName = job.split('/').pop();

  const load = async (fromBuild?: number) => {
    setLoadError(undefined);
    try {
      const response = await api.getJobParameters({ vpc, job, fromBuild });
      setLoaded(response);
      setValues(initialValues(response.definitions, response.values));
      setErrors({});
    } catch (e) {
      setLoadError(e as Error);
    }
  };
  useEffect(() => {
    load(props.fromBuild);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const definitions = loaded?.definitions ?? [];
  const onRun = () => {
    const found = validateRunForm(definitions, values);
    setErrors(found);
    if (Object.keys(found).length) return;
    submit({
      vpc,
      job,
      entityRef,
      parameters: toRequestParameters(definitions, values),
    });
  };

  return (
    <BuildStartDialog
      title={`Run ${jobName} in ${vpc}`}
      vpc={vpc}
      action="run"
      progress={progress}
      confirm={{
        label: 'Run',
        icon: <PlayArrowIcon />,
        disabled: !loaded,
        onClick: onRun,
      }}
      actions={
        progress.step === 'failed' && (
          <Button onClick={back}>Back to the form</Button>
        )
      }
      onOpenBuild={onOpenBuild}
      onStarted={onStarted}
      onClose={onClose}
    >
      {!loaded && !loadError && <Progress />}
      {loadError && (
        <Alert severity="error">
          Could not read the job's parameters: {errorMessage(loadError)}
        </Alert>
      )}
      {loaded && (
        <>
          <DialogContentText>
            Starts a new build of <b>{job}</b>
            {introduction(definitions.length, loaded.fromBuild)}
          </DialogContentText>
          {definitions.length > 0 && (
            <Box display="flex" gridGap={8} alignItems="center" mb={2}>
              <TextField
                id="run-prefill-build"
                label="Values of build #"
                value={prefill}
                onChange={e => setPrefill(e.target.value.replace(/\D/g, ''))}
                size="small"
                variant="outlined"
              />
              <Button
                size="small"
                disabled={!prefill}
                onClick={() => load(Number(prefill))}
              >
                Fill in
              </Button>
              <Button size="small" onClick={() => load(undefined)}>
                Defaults
              </Button>
            </Box>
          )}
          <RunJobForm
            definitions={definitions}
            values={values}
            errors={errors}
            onChange={setValues}
          />
          <Box mt={2}>
            <DialogContentText variant="body2">
              The run is recorded in the audit trail under your name.
            </DialogContentText>
          </Box>
        </>
      )}
    </BuildStartDialog>
  );
}

/**
 * "Run now": a form generated from the job's parameters, then the build's
 * progress. Without the permission the button is disabled and says why.
 */
export function RunJobButton(props: RunJobButtonProps) {
  return (
    <EntityActionButton
      permission={batchJobsJobRunPermission}
      entityRef={props.entityRef}
      deniedReason="You are not allowed to run jobs of this entity"
      disabledReason={props.disabledReason}
      label="Run now"
      ariaLabel={`Run ${props.job.split('/').pop()} now`}
      icon={<PlayArrowIcon />}
      color="primary"
      size={props.size}
      onOpen={props.onOpen}
      dialog={onClose => <RunJobDialog {...props} onClose={onClose} />}
    />
  );
}
