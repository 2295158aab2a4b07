import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import ButtonGroup from '@material-ui/core/ButtonGroup';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { batchJobsApiRef } from '../../api/BatchJobsApi';
import { errorMessage } from '../../format';
import { useMissedRuns } from '../MissedRuns/useMissedRuns';
import { ScheduleTimelineChart } from './ScheduleTimelineChart';

const HOUR = 3_600_000;

/** Ranges the timeline zooms between. @public */
export const TIMELINE_RANGES = [
  { id: '24h', label: '24 h', ms: 24 * HOUR },
  { id: '3d', label: '3 days', ms: 3 * 24 * HOUR },
  { id: '7d', label: '7 days', ms: 7 * 24 * HOUR },
] as const;

/** @public */
export type TimelineRangeId = (typeof TIMELINE_RANGES)[number]['id'];

/** @public */
export interface ScheduleTimelineProps {
  /** The VPC whose jobs to show. */
  vpc: string;
  /**
   * Only this entity's jobs (what its viewers may read). Absent: every job
   * of the VPC, for readers of the whole VPC (batch-jobs.vpc.read).
   */
  entityRef?: string;
  /** Initial range. Default `24h`. */
  initialRange?: TimelineRangeId;
  /** IANA zone of the axis and tooltips. Default: the browser's. */
  timeZone?: string;
  /** Start of the range (epoch ms). Default: now. */
  now?: number;
}

/**
 * Per-VPC schedule timeline: when every timer job of the VPC runs in the
 * next 24 hours (zoomable to a week), grouped by agent label, with the
 * moments where more runs are scheduled than the label has executors.
 * @public
 */
export function ScheduleTimeline(props: ScheduleTimelineProps) {
  const { vpc, entityRef, initialRange = '24h', timeZone, now } = props;
  const api = useApi(batchJobsApiRef);
  const [rangeId, setRangeId] = useState<TimelineRangeId>(initialRange);
  const range = TIMELINE_RANGES.find(r => r.id === rangeId)!;

  // Runs that did not happen lately pull the start back (at most a day) so
  // their hollow marks and the outage band are in view.
  const { value: missed } = useMissedRuns({ vpc, entityRef });
  const current = now ?? Date.now();
  const pastStarts = [
    ...(missed?.runs ?? [])
      .filter(r => r.state === 'missed')
      .map(r => Date.parse(r.expected)),
    ...(missed?.outages ?? []).map(o => Date.parse(o.since)),
  ].filter(t => t < current && t > current - 24 * HOUR);
  const pastFrom = pastStarts.length
    ? Math.floor(Math.min(...pastStarts) / HOUR) * HOUR
    : undefined;

  const { value, loading, error, retry } = useAsyncRetry(async () => {
    // Whole minutes: runs start on minute boundaries.
    const from = pastFrom ?? Math.floor((now ?? Date.now()) / 60_000) * 60_000;
    return api.getVpcTimeline({
      vpc,
      from: new Date(from),
      to: new Date(from + range.ms),
      ...(entityRef ? { entityRef } : {}),
    });
  }, [api, vpc, entityRef, range.ms, now, pastFrom]);

  return (
    <Box>
      <Box display="flex" alignItems="center" mb={1} style={{ gap: 8 }}>
        <Typography variant="body2" color="textSecondary">
          Show
        </Typography>
        <ButtonGroup size="small" aria-label="Timeline range">
          {TIMELINE_RANGES.map(r => (
            <Button
              key={r.id}
              aria-pressed={r.id === rangeId}
              variant={r.id === rangeId ? 'contained' : 'outlined'}
              color={r.id === rangeId ? 'primary' : 'default'}
              onClick={() => setRangeId(r.id)}
            >
              {r.label}
            </Button>
          ))}
        </ButtonGroup>
      </Box>
      {loading && <Progress />}
      {!loading && error && (
        <Box>
          <ResponseErrorPanel error={error} title={errorMessage(error)} />
          <Button onClick={retry}>Retry</Button>
        </Box>
      )}
      {!loading && !error && value && (
        <ScheduleTimelineChart
          timeline={value}
          timeZone={timeZone}
          missed={missed}
        />
      )}
    </Box>
  );
}
