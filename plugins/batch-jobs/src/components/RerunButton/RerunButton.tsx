import { useApi } from '@backstage/core-plugin-api';
import {
  batchJobsBuildRerunPermission,
  BuildSummary,
} from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import DialogContentText from '@material-ui/core/DialogContentText';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import ReplayIcon from '@material-ui/icons/Replay';
import { batchJobsApiRef } from '../../api';
import { useBuildStart } from '../../hooks/useBuildStart';
import { BuildStartDialog } from '../BuildStartProgress';
import { parameterValue } from '../BuildStatus';
import { EntityActionButton } from '../EntityActionButton';

export interface RerunButtonProps {
  entityRef: string;
  vpc: string;
  /** Full name of the job. */
  job: string;
  build: BuildSummary;
  /** Opens the new build in the job view. */
  onOpenBuild?: (number: number) => void;
  /** Called once the new build exists, e.g. to refresh the builds. */
  onStarted?: () => void;
  /**
   * When given, the button only asks for the dialog and its owner renders
   * `RerunDialog`: inside a table whose rows are re-created on refresh, a
   * dialog kept by the row would vanish mid-rerun.
   */
  onOpen?: (build: BuildSummary) => void;
}

/** The confirmation and progress of one rerun. */
export function RerunDialog(props: RerunButtonProps & { onClose: () => void }) {
  const { entityRef, vpc, job, build, onOpenBuild, onStarted, onClose } = props;
  const api = useApi(batchJobsApiRef);
  const { progress, submit } = useBuildStart(api.rerun.bind(api));
  const jobName = job.split('/').pop();

  return (
    <BuildStartDialog
      title={`Rerun ${jobName} #${build.number} in ${vpc}`}
      vpc={vpc}
      action="rerun"
      progress={progress}
      confirm={{
        label: 'Rerun',
        icon: <ReplayIcon />,
        onClick: () => submit({ vpc, job, number: build.number, entityRef }),
      }}
      onOpenBuild={onOpenBuild}
      onStarted={onStarted}
      onClose={onClose}
    >
      <DialogContentText>
        Starts a new build of <b>{job}</b>{' '}
        {build.parameters.length
          ? 'with the same parameters:'
          : '(the job takes no parameters).'}{' '}
      </DialogContentText>
      {build.parameters.length > 0 && (
        <Table size="small" aria-label="Parameters">
          <TableBody>
            {build.parameters.map(p => (
              <TableRow key={p.name}>
                <TableCell component="th">{p.name}</TableCell>
                <TableCell>
                  <code>{parameterValue(p)}</code>
                  {p.secret &&
                    " (secret: Jenkins never reveals it, so the job's default is used)"}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <Box mt={2}>
        <DialogContentText variant="body2">
          The rerun is recorded in the audit trail under your name.
        </DialogContentText>
      </Box>
    </BuildStartDialog>
  );
}

/**
 * Rerun of a finished build with the same parameters, after a confirmation.
 * Without the permission the button is disabled and says why.
 */
export function RerunButton(props: RerunButtonProps) {
  const { onOpen } = props;
  return (
    <EntityActionButton
      permission={batchJobsBuildRerunPermission}
      entityRef={props.entityRef}
      deniedReason="You are not allowed to rerun builds of this entity"
      label="Rerun"
      ariaLabel={`Rerun build #${props.build.number}`}
      icon={<ReplayIcon />}
      color="primary"
      onOpen={onOpen && (() => onOpen(props.build))}
      dialog={onClose => <RerunDialog {...props} onClose={onClose} />}
    />
  );
}
