import { Link } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import CircularProgress from '@material-ui/core/CircularProgress';
import Alert from '@material-ui/lab/Alert';
import { errorMessage } from '../../format';
import { BuildStartState } from '../../hooks/useBuildStart';
import { ApprovalPendingNotice } from '../ActionDialog';

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
