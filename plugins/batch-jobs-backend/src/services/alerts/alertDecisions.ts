import { BuildAlertEvent } from '@batch-jobs/plugin-batch-jobs-common';

/** A build as the watcher sees it in a job's recent builds. @public */
export interface WatchedBuild {
  number: number;
  /** Jenkins' result; null while the build runs. */
  result: string | null;
}

/** One event to report. @public */
export interface AlertDecision {
  number: number;
  event: BuildAlertEvent;
}

/** Results that say nothing about the job's health (a person stopped it, or it never ran). */
const NEUTRAL = new Set(['ABORTED', 'NOT_BUILT']);

/**
 * Which events of a job's recent builds to report, oldest first. Builds up
 * to `baseline` (the newest build when the watcher first saw the job) are
 * never reported. A success right after a failure is a `recovery`; with
 * `recovery` off it counts as a plain `success`. Pure: the watcher's store
 * makes each decision happen once.
 * @public
 */
export function decideAlerts(
  builds: WatchedBuild[],
  baseline: number,
  events: ReadonlySet<BuildAlertEvent>,
): AlertDecision[] {
  const ordered = [...builds].sort((a, b) => a.number - b.number);
  const out: AlertDecision[] = [];
  for (let i = 0; i < ordered.length; i++) {
    const build = ordered[i];
    if (build.number <= baseline) continue;
    if (events.has('start')) out.push({ number: build.number, event: 'start' });
    if (build.result === 'FAILURE') {
      if (events.has('failure'))
        out.push({ number: build.number, event: 'failure' });
    } else if (build.result === 'SUCCESS') {
      const previous = previousVerdict(ordered, i);
      if (previous === 'FAILURE' && events.has('recovery')) {
        out.push({ number: build.number, event: 'recovery' });
      } else if (events.has('success')) {
        out.push({ number: build.number, event: 'success' });
      }
    }
  }
  return out;
}

/** The result of the newest earlier build that finished with a verdict (aborted ones skipped). */
function previousVerdict(
  ordered: WatchedBuild[],
  index: number,
): string | undefined {
  for (let i = index - 1; i >= 0; i--) {
    const r = ordered[i].result;
    if (r === null || NEUTRAL.has(r)) continue;
    // Unstable counts as "not a failure" for recoveries: Jenkins does the same.
    return r;
  }
  return undefined;
}
