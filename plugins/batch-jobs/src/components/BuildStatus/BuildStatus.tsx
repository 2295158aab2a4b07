import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import {
  BuildCause,
  BuildParameter,
  BuildStatus,
} from '@batch-jobs/plugin-batch-jobs-common';
import Chip from '@material-ui/core/Chip';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import PersonIcon from '@material-ui/icons/Person';
import { shortEntityRefName } from '../../format';

const STATUS_LABELS: Record<BuildStatus, string> = {
  running: 'Running',
  success: 'Success',
  failure: 'Failed',
  unstable: 'Unstable',
  aborted: 'Aborted',
  not_built: 'Not built',
  unknown: 'Unknown',
};

/** Statuses a person may want to rerun. */
export const RERUNNABLE_STATUSES: ReadonlySet<BuildStatus> = new Set([
  'failure',
  'unstable',
  'aborted',
]);

/** How a status shows: Backstage's coloured status components. */
export type StatusTone =
  | 'ok'
  | 'error'
  | 'warning'
  | 'aborted'
  | 'running'
  | 'pending';

const TONES = {
  ok: StatusOK,
  error: StatusError,
  warning: StatusWarning,
  aborted: StatusAborted,
  running: StatusRunning,
  pending: StatusPending,
};

/** A label in the colour of its tone (builds, stages). */
export function ToneLabel(props: { tone: StatusTone; children: string }) {
  const Status = TONES[props.tone];
  return <Status>{props.children}</Status>;
}

const BUILD_TONES: Record<BuildStatus, StatusTone> = {
  success: 'ok',
  failure: 'error',
  unstable: 'warning',
  aborted: 'aborted',
  running: 'running',
  not_built: 'pending',
  unknown: 'pending',
};

/** Jenkins' result as a coloured Backstage status. */
export function BuildStatusLabel(props: { status: BuildStatus }) {
  return (
    <ToneLabel tone={BUILD_TONES[props.status] ?? 'pending'}>
      {STATUS_LABELS[props.status] ?? props.status}
    </ToneLabel>
  );
}

const useStyles = makeStyles(theme => ({
  portal: {
    fontWeight: theme.typography.fontWeightBold as number,
    backgroundColor: theme.palette.info?.light ?? theme.palette.primary.light,
    color: theme.palette.getContrastText(
      theme.palette.info?.light ?? theme.palette.primary.light,
    ),
  },
  secret: {
    letterSpacing: 2,
  },
  parameter: {
    fontFamily: 'monospace',
    fontSize: theme.typography.body2.fontSize,
    whiteSpace: 'nowrap',
  },
}));

function causeText(cause: BuildCause): string {
  switch (cause.kind) {
    case 'user':
      return cause.userName || cause.userId
        ? `${cause.userName ?? cause.userId}`
        : 'anonymous user';
    case 'timer':
      return 'timer';
    case 'upstream':
      return cause.upstreamJob
        ? `upstream ${cause.upstreamJob}${
            cause.upstreamBuild ? ` #${cause.upstreamBuild}` : ''
          }`
        : cause.description;
    default:
      return cause.description;
  }
}

/**
 * Who or what started a build. A rerun from the portal names the real person
 * (Jenkins only saw our service account), so it stands out.
 */
export function BuildCauseLabel(props: { causes: BuildCause[] }) {
  const classes = useStyles();
  const [first, ...rest] = props.causes;
  if (!first) return <Typography variant="body2">—</Typography>;
  const more = rest.length ? ` (+${rest.length})` : '';
  const title = props.causes.map(c => c.description).join('\n');
  if (first.kind === 'portal') {
    const who = first.actor ? shortEntityRefName(first.actor) : 'someone';
    return (
      <Tooltip title={title}>
        <Chip
          size="small"
          icon={<PersonIcon />}
          className={classes.portal}
          label={`${who} via portal${more}`}
          data-testid="portal-cause"
        />
      </Tooltip>
    );
  }
  return (
    <Tooltip title={title}>
      <Typography variant="body2">
        {causeText(first)}
        {more}
      </Typography>
    </Tooltip>
  );
}

/** Masks secrets: the backend never sends their value anyway. */
export function parameterValue(parameter: BuildParameter): string {
  if (parameter.secret) return '••••';
  if (parameter.value === null || parameter.value === undefined) return '';
  return String(parameter.value);
}

/** `NAME=value` pairs, one per line. */
export function BuildParameters(props: { parameters: BuildParameter[] }) {
  const classes = useStyles();
  if (props.parameters.length === 0) {
    return <Typography variant="body2">—</Typography>;
  }
  return (
    <div>
      {props.parameters.map(p => (
        <div key={p.name} className={classes.parameter}>
          {p.name}=
          <span className={p.secret ? classes.secret : undefined}>
            {parameterValue(p)}
          </span>
        </div>
      ))}
    </div>
  );
}
