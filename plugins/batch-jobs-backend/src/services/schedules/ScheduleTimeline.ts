import { JsonValue } from '@backstage/types';
import {
  VpcTimeline,
  parseJenkinsCron,
} from '@batch-jobs/plugin-batch-jobs-common';
import { BatchJobsConfig, VpcConfig } from '../../config';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import { isFolder } from '../jenkins/mapping';
import { RawComputerSet, RawJob } from '../jenkins/types';
import { ReadCache } from '../jobs/ReadCache';
import { mapLimit } from '../jobs/mapLimit';
import { JobConfigs } from './JobConfigs';
import { expectedDuration } from './jobSchedule';
import { ExecutorNode, onlineExecutors } from './labels';
import { ScheduledJob, cronError, labelTimeline } from './timeline';

// Jobs whose config.xml we fetch at once, to spare big controllers.
const CONFIG_CONCURRENCY = 6;

/** Non-folder items of a VPC tree, depth first. */
function* jobsOf(folder: RawJob): Generator<RawJob> {
  for (const item of folder.jobs ?? []) {
    if (!item) continue;
    if (isFolder(item)) yield* jobsOf(item);
    else yield item;
  }
}

/** @internal */
export function executorNodes(raw: RawComputerSet): ExecutorNode[] {
  return (raw.computer ?? []).flatMap(c =>
    c
      ? [
          {
            name: c.displayName ?? '',
            labels: (c.assignedLabels ?? []).flatMap(l =>
              l?.name ? [l.name] : [],
            ),
            executors: Math.max(0, c.numExecutors ?? 0),
            offline: c.offline === true,
          },
        ]
      : [],
  );
}

/**
 * The per-VPC timeline: every scheduled run of every job of the VPC's
 * folder (all services: they share the VPC's agents), grouped by agent
 * label, with the intervals where runs outnumber the label's online
 * executors. Costs Jenkins one tree query of the folder, one of the nodes
 * (both briefly cached) and config.xml of jobs not yet cached.
 * @public
 */
export class ScheduleTimeline {
  constructor(
    private readonly options: {
      config: BatchJobsConfig;
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
      cache: ReadCache;
      configs: JobConfigs;
    },
  ) {}

  private clientFor(vpc: VpcConfig): JenkinsClient {
    const client = this.options.clients.get(vpc.jenkins);
    if (!client) {
      throw new Error(
        `VPC '${vpc.name}' names unknown Jenkins '${vpc.jenkins}'`,
      );
    }
    return client;
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    return this.options.cache.get(
      key,
      this.options.config.cache.ttlSeconds * 1000,
      async () => (await load()) as JsonValue,
    ) as Promise<T>;
  }

  async timeline(request: {
    vpc: string;
    from: number;
    to: number;
    /** Only these jobs (an entity's timeline); absent: every job of the VPC. */
    includeJob?: (fullName: string) => boolean;
  }): Promise<VpcTimeline> {
    const { directory, config, configs } = this.options;
    const vpc = directory.getVpc(request.vpc);
    const client = this.clientFor(vpc);
    const timezone =
      config.jenkins.find(j => j.name === vpc.jenkins)?.timezone ?? 'UTC';
    const window = { start: request.from, end: request.to };

    const [tree, computers] = await Promise.all([
      this.cached(`jenkins:${client.name}:vpctree:${vpc.folder}`, () =>
        client.listVpcTree(vpc.folder),
      ),
      this.cached(`jenkins:${client.name}:computers`, () =>
        client.listComputers(),
      ),
    ]);
    const nodes = executorNodes(computers);

    const candidates = [...jobsOf(tree)].filter(
      job =>
        job.fullName &&
        directory.isInVpc(vpc, job.fullName) &&
        (!request.includeJob || request.includeJob(job.fullName)) &&
        // Jenkins does not fire timers of disabled jobs.
        job.buildable !== false,
    );
    const scheduled = await mapLimit(
      candidates,
      CONFIG_CONCURRENCY,
      async (raw): Promise<ScheduledJob | undefined> => {
        const fullName = raw.fullName!;
        const name = raw.name ?? fullName.split('/').pop()!;
        const duration = expectedDuration(
          raw.lastBuild?.estimatedDuration,
          raw.builds,
        );
        const base = {
          name,
          fullName,
          expectedDurationMs: duration.ms,
          durationSource: duration.source,
        };
        let runConfig;
        try {
          runConfig = await configs.get(client, fullName, {
            lastBuild: raw.lastBuild,
            timezone,
          });
        } catch (error) {
          return {
            ...base,
            spec: '',
            label: null,
            cron: {
              error: `Could not read the job's configuration: ${
                (error as Error).message
              }`,
            },
          };
        }
        if (runConfig.spec === null) return undefined;
        let cron: ScheduledJob['cron'];
        try {
          cron = parseJenkinsCron(runConfig.spec, {
            jobFullName: fullName,
            timezone,
          });
        } catch (error) {
          cron = cronError(error);
        }
        return { ...base, spec: runConfig.spec, label: runConfig.label, cron };
      },
    );

    const byLabel = new Map<string | null, ScheduledJob[]>();
    for (const job of scheduled) {
      if (!job) continue;
      byLabel.set(job.label, [...(byLabel.get(job.label) ?? []), job]);
    }
    const labels = [...byLabel.keys()].sort((a, b) => {
      if (a === null) return 1;
      if (b === null) return -1;
      return a.localeCompare(b);
    });
    return {
      vpc: vpc.name,
      from: new Date(request.from).toISOString(),
      to: new Date(request.to).toISOString(),
      labels: labels.map(label =>
        labelTimeline(
          label,
          onlineExecutors(label, nodes),
          byLabel
            .get(label)!
            .sort((a, b) => a.fullName.localeCompare(b.fullName)),
          window,
        ),
      ),
    };
  }
}
