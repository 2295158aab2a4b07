import { MissedRunsReport } from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Tooltip from '@material-ui/core/Tooltip';
import { reasonText } from './reasons';

/** "missed 2" / "late" chips of one job, from its VPC's report. */
export function MissedRunBadges(props: {
  report?: MissedRunsReport;
  job: string;
}) {
  const runs = props.report?.runs.filter(r => r.job === props.job) ?? [];
  const missed = runs.filter(r => r.state === 'missed');
  const late = runs.filter(r => r.state === 'late');
  if (missed.length === 0 && late.length === 0) return null;
  const newest = (list: typeof runs) => list[list.length - 1];
  return (
    <Box display="flex" gridGap={4} mt={0.5}>
      {missed.length > 0 && (
        <Tooltip
          title={`Last missed run: ${newest(missed).expected} — ${reasonText(
            newest(missed).reason,
          )}`}
        >
          <Chip
            size="small"
            color="secondary"
            variant="outlined"
            label={`missed ${missed.length}`}
          />
        </Tooltip>
      )}
      {late.length > 0 && (
        <Tooltip title={reasonText(newest(late).reason)}>
          <Chip size="small" variant="outlined" label="late" />
        </Tooltip>
      )}
    </Box>
  );
}
