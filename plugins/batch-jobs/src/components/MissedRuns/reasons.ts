import {
  ScheduledRunCheck,
  ScheduledRunReason,
} from '@batch-jobs/plugin-batch-jobs-common';
import { formatDuration, formatTimestamp } from '../../format';

/** A reason in the words the job view and the fleet page use. */
export function reasonText(reason: ScheduledRunReason): string {
  switch (reason.kind) {
    case 'controller-unreachable':
      return `controller unreachable since ${formatTimestamp(reason.since)}`;
    case 'paused':
      return `paused by ${reason.by}${
        reason.reason ? ` (${reason.reason})` : ''
      }`;
    case 'disabled':
      return 'job disabled in Jenkins';
    case 'no-executor':
      return `no executor with the label: ${reason.why}`;
    case 'queue-blocked':
      return `queue blocked: ${reason.why}`;
    default:
      return 'reason unknown';
  }
}

/** "missed", "late by 25m", "skipped". */
export function stateText(run: ScheduledRunCheck): string {
  if (run.state === 'late' && run.lateByMs !== undefined) {
    return `late by ${formatDuration(run.lateByMs)}`;
  }
  return run.state;
}
