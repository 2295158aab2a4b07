/*
 * Expected versus actual timer runs: which scheduled runs of a job did not
 * happen (missed), happened late, or were skipped on purpose, and why.
 */

/** Why a scheduled run did not happen, or happened late. @public */
export type ScheduledRunReason =
  | { kind: 'controller-unreachable'; jenkins: string; since: string }
  | { kind: 'paused'; by: string; reason: string }
  | { kind: 'disabled' }
  | { kind: 'no-executor'; why: string }
  | { kind: 'queue-blocked'; why: string }
  | { kind: 'unknown' };

/**
 * `missed`: no timer build was queued for the minute. `late`: the timer
 * build waited in the queue past the grace (or still waits). `skipped`: the
 * job was paused or disabled on purpose, which is no alarm.
 * @public
 */
export type ScheduledRunState = 'missed' | 'late' | 'skipped';

/** One scheduled run that did not happen as planned. @public */
export interface ScheduledRunCheck {
  /** Jenkins full name of the job. */
  job: string;
  /** The minute the timer should have fired (ISO). */
  expected: string;
  state: ScheduledRunState;
  reason: ScheduledRunReason;
  /** The late build, when there is one. */
  build?: { number: number; startedAt: string };
  /** How long after `expected` the build left the queue (or how long it has waited so far). */
  lateByMs?: number;
}

/** A window in which a Jenkins controller did not answer. @public */
export interface ControllerOutage {
  jenkins: string;
  /** The last time it answered before the outage (ISO). */
  since: string;
  /** When it answered again (ISO); null while it is still down. */
  until: string | null;
}

/** The missed and late runs of a VPC (or one entity's jobs in it). @public */
export interface MissedRunsReport {
  vpc: string;
  from: string;
  to: string;
  /** The controller's "now" the report was computed at (ISO). */
  now: string;
  graceMs: number;
  /** The parameter a catch-up run receives the scheduled time in. */
  scheduledTimeParameter: string;
  outages: ControllerOutage[];
  /** Oldest first. */
  runs: ScheduledRunCheck[];
  /** Runs per job that a catch-up would start (missed, not skipped). */
  missedCount: number;
  lateCount: number;
}

/** What to run of each job's missed runs, like Airflow's catchup choice. @public */
export type CatchUpChoice = 'all' | 'latest' | 'none';

/** A per-VPC catch-up in progress or done. @public */
export interface CatchUpOperation {
  id: string;
  vpc: string;
  state: 'running' | 'succeeded' | 'failed' | 'stopped';
  requestedBy: string;
  concurrency: number;
  runs: Array<{
    job: string;
    expected: string;
    state: 'pending' | 'started' | 'finished' | 'failed' | 'stopped';
    buildNumber?: number;
    result?: string | null;
    error?: string;
  }>;
  createdAt: string;
  updatedAt: string;
}

/** A timer build as the comparison needs it. @public */
export interface TimerBuildFact {
  number: number;
  /** When it left the queue (Jenkins' `timestamp`). */
  startedAt: number;
  /** When the timer queued it: `startedAt` less its time in the queue. */
  queuedAt: number;
}

/** Facts about one job for `checkScheduledRuns`. @public */
export interface ScheduledJobFacts {
  job: string;
  /** Expected fire times (epoch ms) from the cron spec, ascending. */
  expected: number[];
  timerBuilds: TimerBuildFact[];
  /** A timer item waiting in the queue now, with Jenkins' why. */
  queued?: { inQueueSince: number; why: string | null };
  disabled: boolean;
  pause?: { by: string; reason: string; at: number; until: number | null };
}

/** How long after its minute a timer may fire: the cron thread can lag on a busy controller. @public */
export const TIMER_FIRE_SLACK_MS = 5 * 60_000;

function queueReason(why: string | null): ScheduledRunReason {
  const text = why ?? '';
  if (
    /no nodes with the label|are offline|Waiting for next available executor|executor/i.test(
      text,
    )
  ) {
    return { kind: 'no-executor', why: text };
  }
  return { kind: 'queue-blocked', why: text || 'Waiting in the queue' };
}

/**
 * Compares one job's expected timer runs with what Jenkins did. A run is
 * judged once its grace has passed: matched by a timer build queued within
 * the minute (late when it left the queue after the grace), by the timer
 * item still waiting (late), or missed with the best known reason.
 * @public
 */
export function checkScheduledRuns(
  facts: ScheduledJobFacts,
  context: {
    now: number;
    graceMs: number;
    outages: Array<{ jenkins: string; since: number; until: number | null }>;
  },
): ScheduledRunCheck[] {
  const { now, graceMs } = context;
  const iso = (t: number) => new Date(t).toISOString();
  const builds = [...facts.timerBuilds].sort((a, b) => a.queuedAt - b.queuedAt);
  const used = new Set<number>();
  const out: ScheduledRunCheck[] = [];
  const inOutage = (t: number) =>
    context.outages.some(o => o.since <= t && t < (o.until ?? Infinity));
  facts.expected.forEach((t, i) => {
    // A run is judged once its grace is over; one inside an outage at once
    // (nothing fires while the controller is down).
    if (t > now || (t + graceMs > now && !inOutage(t))) return;
    const next = facts.expected[i + 1] ?? Infinity;
    const windowEnd = Math.min(t + TIMER_FIRE_SLACK_MS, next);
    const build = builds.find(
      b => !used.has(b.number) && b.queuedAt >= t && b.queuedAt < windowEnd,
    );
    if (build) {
      used.add(build.number);
      const lateByMs = build.startedAt - t;
      if (lateByMs > graceMs) {
        out.push({
          job: facts.job,
          expected: iso(t),
          state: 'late',
          reason: { kind: 'queue-blocked', why: 'Waited in the queue' },
          build: { number: build.number, startedAt: iso(build.startedAt) },
          lateByMs,
        });
      }
      return;
    }
    const queued = facts.queued;
    if (queued && queued.inQueueSince >= t && queued.inQueueSince < windowEnd) {
      out.push({
        job: facts.job,
        expected: iso(t),
        state: 'late',
        reason: queueReason(queued.why),
        lateByMs: now - t,
      });
      return;
    }
    out.push({
      job: facts.job,
      expected: iso(t),
      ...missedReason(t, facts, context),
    });
  });
  return out;
}

function missedReason(
  t: number,
  facts: ScheduledJobFacts,
  context: {
    outages: Array<{ jenkins: string; since: number; until: number | null }>;
    now: number;
  },
): { state: ScheduledRunState; reason: ScheduledRunReason } {
  const pause = facts.pause;
  // Jenkins does not say since when a job is disabled: runs after its last
  // timer build, or after the recorded pause, are put down to it.
  const lastBuild = Math.max(
    -Infinity,
    ...facts.timerBuilds.map(b => b.startedAt),
  );
  if (
    pause &&
    (pause.at <= t || t > lastBuild) &&
    (pause.until === null || t < pause.until)
  ) {
    return {
      state: 'skipped',
      reason: { kind: 'paused', by: pause.by, reason: pause.reason },
    };
  }
  const outage = context.outages.find(
    o => o.since <= t && t < (o.until ?? Infinity),
  );
  if (outage) {
    return {
      state: 'missed',
      reason: {
        kind: 'controller-unreachable',
        jenkins: outage.jenkins,
        since: new Date(outage.since).toISOString(),
      },
    };
  }
  if (facts.disabled && t > lastBuild)
    return { state: 'skipped', reason: { kind: 'disabled' } };
  // The timer item of an earlier run still waited: Jenkins merged this one into it.
  if (facts.queued && facts.queued.inQueueSince < t) {
    return { state: 'missed', reason: queueReason(facts.queued.why) };
  }
  return { state: 'missed', reason: { kind: 'unknown' } };
}

/** Of one job's missed runs, oldest first, those `choice` starts. */
function chosenRuns(
  sorted: ScheduledRunCheck[],
  choice: CatchUpChoice,
): ScheduledRunCheck[] {
  if (choice === 'all') return sorted;
  if (choice === 'latest') return sorted.slice(-1);
  return [];
}

/**
 * The runs a catch-up starts: every missed run, the newest per job, or
 * none, per job (`choices`, default `fallback`).
 * @public
 */
export function selectCatchUpRuns(
  runs: ScheduledRunCheck[],
  choices: Record<string, CatchUpChoice>,
  fallback: CatchUpChoice,
): Array<{ job: string; expected: string }> {
  const byJob = new Map<string, ScheduledRunCheck[]>();
  for (const run of runs) {
    if (run.state !== 'missed') continue;
    byJob.set(run.job, [...(byJob.get(run.job) ?? []), run]);
  }
  const selected: Array<{ job: string; expected: string }> = [];
  for (const [job, missed] of byJob) {
    const choice = choices[job] ?? fallback;
    const sorted = missed.sort((a, b) => a.expected.localeCompare(b.expected));
    const chosen = chosenRuns(sorted, choice);
    selected.push(...chosen.map(r => ({ job, expected: r.expected })));
  }
  return selected.sort(
    (a, b) =>
      a.expected.localeCompare(b.expected) || a.job.localeCompare(b.job),
  );
}
