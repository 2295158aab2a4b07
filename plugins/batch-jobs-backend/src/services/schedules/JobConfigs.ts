import { parseJenkinsCron } from '@batch-jobs/plugin-batch-jobs-common';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { JobRunConfig, mapCauses } from '../jenkins/mapping';
import { RawBuild } from '../jenkins/types';
import { ReadCache } from '../jobs/ReadCache';

// A type, not an interface: it must be assignable to JsonValue.
type CachedJobConfig = {
  spec: string | null;
  label: string | null;
  /** Absent in entries cached before it was read: those are read again. */
  templateVersion?: number | null;
  /** Absent in entries cached before it was read: those are read again. */
  template?: string | null;
  /** Newest build when config.xml was read: older builds say nothing new. */
  checkedBuild: number | null;
};

/** How late a timer build may start (queue, executors) and still be "on time". */
const TIMER_LATENESS_MS = 15 * 60_000;

/**
 * Whether a cached spec explains the job's last build. A timer build the
 * spec would not have started means the spec changed since we read it.
 * Each build is judged once, so a build that was merely late costs one
 * reload, not one per request.
 * @internal
 */
export function explainsLastBuild(
  cached: CachedJobConfig,
  lastBuild: RawBuild | null | undefined,
  options: { fullName: string; timezone: string },
): boolean {
  if (
    !lastBuild ||
    typeof lastBuild.number !== 'number' ||
    typeof lastBuild.timestamp !== 'number'
  ) {
    return true;
  }
  if (cached.checkedBuild !== null && lastBuild.number <= cached.checkedBuild) {
    return true;
  }
  if (!mapCauses(lastBuild).some(c => c.kind === 'timer')) return true;
  if (cached.spec === null) return false;
  try {
    const [run] = parseJenkinsCron(cached.spec, {
      jobFullName: options.fullName,
      timezone: options.timezone,
    }).nextRuns(new Date(lastBuild.timestamp - TIMER_LATENESS_MS), 1);
    return run !== undefined && run.getTime() <= lastBuild.timestamp;
  } catch {
    return false;
  }
}

/**
 * Timer specs, agent labels and template versions of jobs, read from
 * config.xml and cached (the entity jobs list shows all three without a
 * config.xml read per job per view):
 * they change rarely and config.xml is one request per job. Jenkins exposes
 * no modification time of a job's configuration, so an entry lives for a
 * TTL (`batchJobs.cache.scheduleTtlSeconds`), is dropped early when the
 * job's last build is a timer run the cached spec does not explain, and is
 * invalidated by our own actions that change a job's configuration.
 * @public
 */
export class JobConfigs {
  constructor(private readonly options: { cache: ReadCache; ttlMs: number }) {}

  private key(client: JenkinsClient, fullName: string) {
    return `jenkins:${client.name}:jobconfig:${fullName}`;
  }

  async get(
    client: JenkinsClient,
    fullName: string,
    context: { lastBuild?: RawBuild | null; timezone: string },
  ): Promise<JobRunConfig> {
    const { spec, label, templateVersion, template } =
      await this.options.cache.get<CachedJobConfig>(
        this.key(client, fullName),
        this.options.ttlMs,
        async () => ({
          ...(await client.getJobConfig(fullName)),
          checkedBuild: context.lastBuild?.number ?? null,
        }),
        {
          accept: cached =>
            cached.templateVersion !== undefined &&
            cached.template !== undefined &&
            explainsLastBuild(cached, context.lastBuild, {
              fullName,
              timezone: context.timezone,
            }),
        },
      );
    return {
      spec,
      label,
      templateVersion: templateVersion ?? null,
      template: template ?? null,
    };
  }

  /** The cached configuration of a job when it is still good, else undefined; never reads Jenkins. */
  async peek(
    client: JenkinsClient,
    fullName: string,
    context: { lastBuild?: RawBuild | null; timezone: string },
  ): Promise<JobRunConfig | undefined> {
    const cached = await this.options.cache.peek<CachedJobConfig>(
      this.key(client, fullName),
    );
    if (
      !cached ||
      cached.templateVersion === undefined ||
      cached.template === undefined ||
      !explainsLastBuild(cached, context.lastBuild, {
        fullName,
        timezone: context.timezone,
      })
    ) {
      return undefined;
    }
    return {
      spec: cached.spec,
      label: cached.label,
      templateVersion: cached.templateVersion ?? null,
      template: cached.template ?? null,
    };
  }

  /** Call after changing a job's configuration through Jenkins. */
  async invalidate(client: JenkinsClient, fullName: string): Promise<void> {
    await this.options.cache.delete(this.key(client, fullName));
  }
}
