import { useApi } from '@backstage/core-plugin-api';
import {
  batchJobsBuildStopPermission,
  StopBuildResponse,
} from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import CircularProgress from '@material-ui/core/CircularProgress';
import DialogContentText from '@material-ui/core/DialogContentText';
import StopIcon from '@material-ui/icons/Stop';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import { batchJobsApiRef } from '../../api';
import { errorMessage } from '../../format';
import { ActionDialog } from '../ActionDialog';
import { EntityActionButton } from '../EntityActionButton';

export interface StopBuildButtonProps {
  entityRef: string;
  vpc: string;
  job: string;
  number: number;
  /** Called once the build has ended, e.g. to refresh the builds. */
  onStopped?: () => void;
  /** When given, the button only calls it: the caller renders StopBuildDialog itself. */
  onOpen?: () => void;
}

type StopState =
  | { step: 'confirm' }
  | { step: 'stopping' }
  | { step: 'done'; response: StopBuildResponse }
  | { step: 'failed'; error: Error };

function describe(response: StopBuildResponse): string {
  if (response.outcome === 'already-finished') {
    return `The build had already ended (${response.result ?? 'no result'}).`;
  }
  if (response.outcome === 'cancelled')
    return 'The queued build was cancelled.';
  const escalated = response.methods.filter(m => m !== 'stop');
  return `The build ended as ${response.result ?? 'ABORTED'}${
    escalated.length
      ? ` after Jenkins' ${response.methods.join(
          ' → ',
        )} (it ignored the first stop)`
      : ''
  }.`;
}

/** Confirmation, then progress until Jenkins says the build ended; render it outside table rows. */
export function StopBuildDialog(
  props: StopBuildButtonProps & { onClose: () => void },
) {
  const api = useApi(batchJobsApiRef);
  const [state, setState] = useState<StopState>({ step: 'confirm' });
  const close = props.onClose;

  const stop = async () => {
    setState({ step: 'stopping' });
    try {
      const response = await api.stopBuild({
        vpc: props.vpc,
        job: props.job,
        number: props.number,
        entityRef: props.entityRef,
      });
      setState({ step: 'done', response });
      props.onStopped?.();
    } catch (e) {
      setState({ step: 'failed', error: e as Error });
    }
  };

  return (
    <ActionDialog
      title={`Stop ${props.job.split('/').pop()} #${props.number} in ${
        props.vpc
      }`}
      onClose={close}
      busy={state.step === 'stopping'}
      confirm={
        state.step === 'confirm'
          ? {
              label: 'Stop build',
              icon: <StopIcon />,
              color: 'secondary',
              onClick: stop,
            }
          : undefined
      }
    >
      {state.step === 'confirm' && (
        <DialogContentText>
          Jenkins aborts the build. If it does not end, the portal escalates to
          terminating its steps and then killing it. The stop is recorded in the
          audit trail under your name.
        </DialogContentText>
      )}
      {state.step === 'stopping' && (
        <Box display="flex" alignItems="center" gridGap={8} role="status">
          <CircularProgress size={20} /> Stopping, waiting until the build has
          ended…
        </Box>
      )}
      {state.step === 'done' && (
        <Alert severity="success" role="status">
          {describe(state.response)}
        </Alert>
      )}
      {state.step === 'failed' && (
        <Alert severity="error">
          The stop failed: {errorMessage(state.error)}
        </Alert>
      )}
    </ActionDialog>
  );
}

/** "Stop" on a running build: confirmation, then progress until Jenkins says it ended. */
export function StopBuildButton(props: StopBuildButtonProps) {
  return (
    <EntityActionButton
      permission={batchJobsBuildStopPermission}
      entityRef={props.entityRef}
      deniedReason="You are not allowed to stop builds of this entity"
      label="Stop"
      ariaLabel={`Stop build #${props.number}`}
      icon={<StopIcon />}
      onOpen={props.onOpen}
      dialog={onClose => <StopBuildDialog {...props} onClose={onClose} />}
    />
  );
}
