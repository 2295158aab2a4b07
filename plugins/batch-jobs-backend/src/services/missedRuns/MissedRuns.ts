import { LoggerService } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import { JsonValue } from '@backstage/types';
import {
  MissedRunsReport,
  ScheduledJobFacts,
  TimerBuildFact,
  checkScheduledRuns,
  parseJenkinsCron,
} from '@batch-jobs/plugin-batch-jobs-common';
import { BatchJobsConfig, VpcConfig } from '../../config';
import { PauseStore } from '../../database/DatabasePauseStore';
import { ReachabilityStore } from '../../database/DatabaseReachabilityStore';
import { JenkinsClient, isQueueItemOf } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import { isFolder, mapCauses } from '../jenkins/mapping';
import { RawBuild, RawJob, RawQueueItem } from '../jenkins/types';
import { ReadCache } from '../jobs/ReadCache';
import { mapLimit } from '../jobs/mapLimit';
import { JobConfigs } from '../schedules/JobConfigs';
import { MissedRunsConfig } from './missedRunsConfig';

// Jobs whose history we read at once, to spare big controllers.
const HISTORY_CONCURRENCY = 6;
// Expected runs looked at per job: every 5 minutes for a week fits.
const MAX_EXPECTED_PER_JOB = 2100;

/** A timer job as last seen: enough to list its runs while the controller is down. */
interface KnownTimerJob {
  fullName: string;
  spec: string;
}

const message = (e: unknown) => (isError(e) ? e.message : String(e));

/** Every non-folder item of a tree, depth first. */
function* jobsOf(folder: RawJob): Generator<RawJob> {
  for (const item of folder.jobs ?? []) {
    if (!item) continue;
    if (isFolder(item)) yield* jobsOf(item);
    else yield item;
  }
}

/** A timer build with the time its timer queued it (TimeInQueueAction, else when it started). */
function timerBuildFact(build: RawBuild): TimerBuildFact | undefined {
  if (typeof build.number !== 'number' || typeof build.timestamp !== 'number')
    return undefined;
  if (!mapCauses(build).some(c => c.kind === 'timer')) return undefined;
  let queuedMs = 0;
  for (const action of build.actions ?? []) {
    queuedMs +=
      (action?.blockedDurationMillis ?? 0) +
      (action?.buildableDurationMillis ?? 0) +
      (action?.waitingDurationMillis ?? 0);
  }
  return {
    number: build.number,
    startedAt: build.timestamp,
    queuedAt: build.timestamp - queuedMs,
  };
}

/**
 * Expected versus actual timer runs of a VPC's jobs: the cron spec (H
 * resolved, the controller's time zone) against the timer builds, the queue,
 * pauses and the recorded outages. Times are on the controller's clock.
 * While the controller is down, the runs since its last answer are listed
 * from the jobs last seen (nothing fires during an outage).
 * @public
 */
export class MissedRuns {
  private readonly known = new Map<string, KnownTimerJob[]>();

  constructor(
    private readonly options: {
      config: BatchJobsConfig;
      missedRuns: MissedRunsConfig;
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
      configs: JobConfigs;
      cache: ReadCache;
      pauses: PauseStore;
      reachability: ReachabilityStore;
      logger: LoggerService;
    },
  ) {}

  /** How long Jenkins reads are shared (`batchJobs.cache.ttlSeconds`). */
  private get readTtlMs(): number {
    return this.options.config.cache.ttlSeconds * 1000;
  }

  get settings(): MissedRunsConfig {
    return this.options.missedRuns;
  }

  private timezoneOf(vpc: VpcConfig): string {
    return (
      this.options.config.jenkins.find(j => j.name === vpc.jenkins)?.timezone ??
      'UTC'
    );
  }

  /** The controller's "now", and whether it answered. */
  async controllerNow(
    vpc: VpcConfig,
  ): Promise<{ now: number; reachable: boolean }> {
    const client = this.options.clients.get(vpc.jenkins)!;
    try {
      // One probe per cache interval however many tabs ask: what we keep is
      // the offset of the controller's clock, which does not move in seconds.
      // A failed probe is not cached (ReadCache keeps only values).
      const { offsetMs } = await this.options.cache.get(
        `jenkins:${client.name}:clock`,
        this.readTtlMs,
        async () => {
          const { controllerNow } = await client.ping();
          return { offsetMs: controllerNow.getTime() - Date.now() };
        },
      );
      return { now: Date.now() + offsetMs, reachable: true };
    } catch {
      const offset = await this.options.reachability.clockOffset(vpc.jenkins);
      return { now: Date.now() + offset, reachable: false };
    }
  }

  async report(request: {
    vpc: string;
    /** Epoch ms on the controller's clock; default `lookback` before now. */
    from?: number;
    to?: number;
    includeJob?: (fullName: string) => boolean;
  }): Promise<MissedRunsReport> {
    const { directory, clients, missedRuns, reachability, pauses } =
      this.options;
    const vpc = directory.getVpc(request.vpc);
    const client = clients.get(vpc.jenkins)!;
    const timezone = this.timezoneOf(vpc);
    const { now, reachable } = await this.controllerNow(vpc);
    // Pauses are stamped with our clock; runs are on the controller's.
    const offset = reachable
      ? now - Date.now()
      : await reachability.clockOffset(vpc.jenkins);
    const to = Math.min(request.to ?? now, now);
    const from = request.from ?? now - missedRuns.lookbackMs;
    const outages = (
      await reachability.outages(vpc.jenkins, new Date(from), new Date(now))
    ).map(o => ({
      jenkins: o.jenkins,
      since: o.since.getTime(),
      // The controller answered this report: an outage the watcher has not
      // closed yet (it probes once a poll) is over, not still going on.
      until: o.until?.getTime() ?? (reachable ? now : null),
    }));
    const openOutage = outages.find(o => o.until === null);

    let jobs: Array<KnownTimerJob & { raw?: RawJob }>;
    let queue: RawQueueItem[] = [];
    if (reachable) {
      // The same cached tree as the schedule timeline's.
      const tree = (await this.options.cache.get(
        `jenkins:${client.name}:vpctree:${vpc.folder}`,
        this.readTtlMs,
        async () => (await client.listVpcTree(vpc.folder)) as JsonValue,
      )) as RawJob;
      const candidates = [...jobsOf(tree)].filter(
        job => job.fullName && directory.isInVpc(vpc, job.fullName),
      );
      const withSpecs = await mapLimit(
        candidates,
        HISTORY_CONCURRENCY,
        async raw => {
          try {
            const { spec } = await this.options.configs.get(
              client,
              raw.fullName!,
              { lastBuild: raw.lastBuild, timezone },
            );
            return spec ? { fullName: raw.fullName!, spec, raw } : undefined;
          } catch (error) {
            this.options.logger.warn(
              `Missed runs: no configuration of ${raw.fullName}: ${message(
                error,
              )}`,
            );
            return undefined;
          }
        },
      );
      jobs = withSpecs.filter((j): j is NonNullable<typeof j> => !!j);
      this.known.set(
        vpc.name,
        jobs.map(({ fullName, spec }) => ({ fullName, spec })),
      );
      // Shared by every report of this controller's VPCs within the interval.
      const listed = (await this.options.cache.get(
        `jenkins:${client.name}:queue:causes`,
        this.readTtlMs,
        async () =>
          (await client.listQueue({ causes: true })) as unknown as JsonValue,
      )) as { items?: RawQueueItem[] };
      queue = listed.items ?? [];
    } else {
      jobs = this.known.get(vpc.name) ?? [];
    }
    jobs = jobs.filter(
      j => !request.includeJob || request.includeJob(j.fullName),
    );

    const pauseByJob = new Map(
      (
        await pauses.list(
          vpc.name,
          jobs.map(j => j.fullName),
        )
      ).map(p => [p.job, p]),
    );
    // Without the controller no build can be read: only the runs since its
    // last answer are judged (none of them fired).
    const judgedFrom = reachable
      ? from
      : Math.max(from, openOutage?.since ?? now);

    const facts = await mapLimit(
      jobs,
      HISTORY_CONCURRENCY,
      async (job): Promise<ScheduledJobFacts | undefined> => {
        let cron;
        try {
          cron = parseJenkinsCron(job.spec, {
            jobFullName: job.fullName,
            timezone,
          });
        } catch {
          return undefined;
        }
        const expected: number[] = [];
        let after = judgedFrom - 1;
        while (expected.length < MAX_EXPECTED_PER_JOB) {
          const batch = cron.nextRuns(new Date(after), 64);
          const inWindow = batch.map(d => d.getTime()).filter(t => t <= to);
          expected.push(...inWindow);
          if (inWindow.length < batch.length || batch.length < 64) break;
          after = batch[batch.length - 1].getTime();
        }
        if (expected.length === 0) return undefined;
        let judged = expected;
        let timerBuilds: TimerBuildFact[] = [];
        let disabled = false;
        if (reachable) {
          // Enough builds to reach back over the window's runs, and others.
          const count = Math.min(500, expected.length * 2 + 20);
          // Briefly cached: the watcher and every viewer read the same history.
          const history = (await this.options.cache.get(
            `jenkins:${client.name}:timerhistory:${job.fullName}:${count}`,
            this.readTtlMs,
            async () =>
              (await client.listTimerHistory(
                job.fullName,
                count,
              )) as unknown as JsonValue,
          )) as RawJob;
          disabled = history.buildable === false;
          timerBuilds = (history.allBuilds ?? [])
            .map(timerBuildFact)
            .filter((b): b is TimerBuildFact => !!b);
          // Jenkins keeps only so many builds (its build discarder), and a
          // job may be younger than the window: a run expected before the
          // oldest build it still has is evidence of nothing, unless the
          // controller was down then (nothing could fire).
          const starts = (history.allBuilds ?? [])
            .map(b => b?.timestamp)
            .filter((t): t is number => typeof t === 'number');
          const oldest = starts.length ? Math.min(...starts) : Infinity;
          judged = expected.filter(
            t =>
              t >= oldest ||
              outages.some(o => t >= o.since && t <= (o.until ?? now)),
          );
        }
        if (judged.length === 0) return undefined;
        const waiting = queue.find(
          item =>
            isQueueItemOf(item, job.fullName) &&
            (item.actions ?? []).some(a =>
              (a?.causes ?? []).some(c => c._class?.includes('TimerTrigger')),
            ),
        );
        const pause = pauseByJob.get(job.fullName);
        return {
          job: job.fullName,
          expected: judged,
          timerBuilds,
          disabled,
          ...(waiting && typeof waiting.inQueueSince === 'number'
            ? {
                queued: {
                  inQueueSince: waiting.inQueueSince,
                  why: waiting.why ?? null,
                },
              }
            : {}),
          ...(pause
            ? {
                pause: {
                  by: pause.by,
                  reason: pause.reason,
                  at: Date.parse(pause.at) + offset,
                  until: pause.until ? Date.parse(pause.until) + offset : null,
                },
              }
            : {}),
        };
      },
    );

    const runs = facts
      .flatMap(f =>
        f
          ? checkScheduledRuns(f, {
              now,
              graceMs: missedRuns.graceMs,
              outages,
            })
          : [],
      )
      .sort(
        (a, b) =>
          a.expected.localeCompare(b.expected) || a.job.localeCompare(b.job),
      );
    const iso = (t: number) => new Date(t).toISOString();
    return {
      vpc: vpc.name,
      from: iso(from),
      to: iso(to),
      now: iso(now),
      graceMs: missedRuns.graceMs,
      scheduledTimeParameter: missedRuns.scheduledTimeParameter,
      outages: outages.map(o => ({
        jenkins: o.jenkins,
        since: iso(o.since),
        until: o.until === null ? null : iso(o.until),
      })),
      runs,
      missedCount: runs.filter(r => r.state === 'missed').length,
      lateCount: runs.filter(r => r.state === 'late').length,
    };
  }
}
