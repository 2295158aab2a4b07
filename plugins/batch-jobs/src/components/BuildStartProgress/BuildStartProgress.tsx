import { Link } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import CircularProgress from '@material-ui/core/CircularProgress';
import Alert from '@material-ui/lab/Alert';
import { errorMessage } from '../../format';
import { BuildStartState } from '../../hooks/useBuildStart';
import { ReactNode, useEffect } from 'react';
import {
  ActionDialog,
  ActionDialogConfirm,
  ApprovalPendingNotice,
} from '../ActionDialog';

/**
 * Where a build the user just asked for is: asking Jenkins, waiting for a
 * second person's approval, queued (with Jenkins' reason), running as build
 * #n, cancelled, or refused. Shared by the rerun and run-now dialogs; the
 * idle step (their form) is theirs.
 */
export function BuildStartProgress(props: {
  progress: BuildStartState;
  vpc: string;
  /** What the user did, for the refusal: "rerun" or "run". */
  action: string;
  /** Opens the new build in the job view (and closes the dialog). */
  onOpenBuild?: (number: number) => void;
  onClose: () => void;
}) {
  const { progress, vpc, action, onOpenBuild, onClose } = props;
  switch (progress.step) {
    case 'approval':
      return (
        <ApprovalPendingNotice
          pending={progress.pending}
          why={`${vpc} needs a second person`}
          notYet="Nothing was started yet"
        />
      );
    case 'submitting':
      return (
        <Box display="flex" alignItems="center" gridGap={8}>
          <CircularProgress size={20} /> Asking Jenkins to start the build…
        </Box>
      );
    case 'queued':
      return (
        <Box display="flex" alignItems="center" gridGap={8} role="status">
          <CircularProgress size={20} />
          <span>
            Queued
            {progress.why ? `: ${progress.why}` : ', waiting for Jenkins…'}
          </span>
        </Box>
      );
    case 'started':
      return (
        <Alert severity="success" role="status">
          Running as{' '}
          {onOpenBuild ? (
            <Link
              to="#"
              onClick={e => {
                e.preventDefault();
                onOpenBuild(progress.build.number);
                onClose();
              }}
            >
              build #{progress.build.number}
            </Link>
          ) : (
            <>build #{progress.build.number}</>
          )}{' '}
          (<Link to={progress.build.url}>open in Jenkins</Link>).
        </Alert>
      );
    case 'cancelled':
      return (
        <Alert severity="warning">
          Jenkins cancelled the queued build
          {progress.why ? `: ${progress.why}` : '.'}
        </Alert>
      );
    case 'failed':
      return (
        <Alert severity="error">
          The {action} was refused: {errorMessage(progress.error)}
        </Alert>
      );
    default:
      return null;
  }
}

/**
 * The dialog of an action that starts a build (rerun, run now): its form
 * and the action's button while idle, then the build's progress.
 */
export function BuildStartDialog(props: {
  title: string;
  vpc: string;
  /** What the user does, for the refusal: "rerun" or "run". */
  action: string;
  progress: BuildStartState;
  confirm: ActionDialogConfirm;
  /** Buttons once the action started, e.g. "Back to the form". */
  actions?: ReactNode;
  onOpenBuild?: (number: number) => void;
  /** Called once the new build exists, e.g. to refresh the builds. */
  onStarted?: () => void;
  onClose: () => void;
  /** The form, shown while idle. */
  children: ReactNode;
}) {
  const { progress, onClose, onStarted } = props;
  const idle = progress.step === 'idle';
  useEffect(() => {
    if (progress.step === 'started') onStarted?.();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [progress.step]);
  return (
    <ActionDialog
      title={props.title}
      onClose={onClose}
      confirm={idle ? props.confirm : undefined}
      actions={props.actions}
    >
      {idle && props.children}
      <BuildStartProgress
        progress={progress}
        vpc={props.vpc}
        action={props.action}
        onOpenBuild={props.onOpenBuild}
        onClose={onClose}
      />
    </ActionDialog>
  );
}
