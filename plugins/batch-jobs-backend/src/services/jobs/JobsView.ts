import { LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError, isError } from '@backstage/errors';
import { JsonValue } from '@backstage/types';
import {
  BuildCause,
  BuildSummary,
  BuildsPage,
  EntityJobsResponse,
  JobSummary,
  QueueItemStatus,
  VpcJobs,
  STANDARD_JOB_TEMPLATE_ID,
  templateInfoOf,
} from '@batch-jobs/plugin-batch-jobs-common';
import { BatchJobsConfig, VpcConfig } from '../../config';
import { AuditRecord, AuditStore } from '../../database/types';
import { JenkinsClient, LogChunk } from '../jenkins/JenkinsClient';
import {
  EntitySelection,
  JobDirectory,
  JobSelector,
  globMatches,
} from '../jenkins/JobDirectory';
import {
  isFolder,
  mapBuild,
  mapJob,
  mapQueueItem,
  secretParameterNames,
} from '../jenkins/mapping';
import { RawBuild, RawJob } from '../jenkins/types';
import { JobConfigs } from '../schedules/JobConfigs';
import { describeSchedule, jobStats } from '../schedules/jobSchedule';
import { ReadCache, SerializedView } from './ReadCache';
import { mapLimit } from './mapLimit';
import { PipelineRuns } from './PipelineRuns';

/** Upper bound of one builds page. @public */
export const MAX_BUILDS_PAGE = 100;

// Jobs in a VPC whose config.xml we fetch at once, to spare big controllers.
const SCHEDULE_CONCURRENCY = 6;

interface Cursor {
  /** Offset in Jenkins' allBuilds to read from. */
  o: number;
  /** Only builds numbered below this one (builds may arrive between pages). */
  b: number;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Number.isInteger(value?.o) &&
      value.o >= 0 &&
      Number.isInteger(value?.b) &&
      value.b > 0
    ) {
      return { o: value.o, b: value.b };
    }
  } catch {
    // fall through
  }
  throw new InputError(`Invalid cursor '${text.slice(0, 100)}'`);
}

function errorMessage(error: unknown): string {
  return isError(error) ? error.message : String(error);
}

/** The Jenkins full name a job/queue URL points at, e.g. `/job/a/job/b/` → `a/b`. */
function fullNameFromUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let path: string;
  try {
    path = new URL(url, 'http://jenkins.invalid').pathname;
  } catch {
    return undefined;
  }
  const parts = path.split('/').filter(Boolean);
  const names: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === 'job' && i + 1 < parts.length) {
      names.push(decodeURIComponent(parts[++i]));
    }
  }
  return names.length ? names.join('/') : undefined;
}

/**
 * Read side of the plugin: jobs of an entity per VPC, build pages, logs and
 * queue items, with portal causes joined from our audit trail.
 * @public
 */
export class JobsView {
  constructor(
    private readonly options: {
      config: BatchJobsConfig;
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
      cache: ReadCache;
      configs: JobConfigs;
      audit: AuditStore;
      logger: LoggerService;
      /** Current versions of the job templates besides the standard one. */
      templateVersions?: () => Promise<Map<string, number>>;
      now?: () => number;
      /** Adds the failing stage and a pending input to pipelines' last builds. */
      runs?: PipelineRuns;
    },
  ) {}

  private timezoneOf(vpc: VpcConfig): string {
    return (
      this.options.config.jenkins.find(j => j.name === vpc.jenkins)?.timezone ??
      'UTC'
    );
  }

  private get now() {
    return this.options.now ? this.options.now() : Date.now();
  }

  clientFor(vpc: VpcConfig): JenkinsClient {
    const client = this.options.clients.get(vpc.jenkins);
    // Config validation guarantees this; keep the message clear anyway.
    if (!client)
      throw new Error(
        `VPC '${vpc.name}' names unknown Jenkins '${vpc.jenkins}'`,
      );
    return client;
  }

  /**
   * The entity's job list, serialised: cached per entity (and what the job
   * locators claim for it) for the read-cache TTL, with concurrent loads
   * shared. `finish` (e.g. adding pauses) runs inside the cached load.
   */
  async entityJobsView(
    entity: Entity,
    finish: (response: EntityJobsResponse) => Promise<EntityJobsResponse>,
  ): Promise<SerializedView> {
    const selection = await this.options.directory.selectionFor(entity);
    const key = JSON.stringify([
      'entity-jobs',
      stringifyEntityRef(entity),
      selection.key,
    ]);
    return this.options.cache.getSerialized(
      key,
      this.options.config.cache.ttlSeconds * 1000,
      async () => finish(await this.listEntityJobs(entity, selection)),
    );
  }

  async listEntityJobs(
    entity: Entity,
    selection?: EntitySelection,
  ): Promise<EntityJobsResponse> {
    const { directory } = this.options;
    const claims = selection ?? (await directory.selectionFor(entity));
    const vpcs: VpcJobs[] = await Promise.all(
      claims.vpcs.map(vpc => this.vpcJobs(vpc, claims)),
    );
    for (const { name, namedBy } of claims.unknownVpcs) {
      vpcs.push({
        vpc: name,
        jenkins: '',
        jobs: [],
        error: `VPC '${name}' in ${namedBy} is not configured`,
      });
    }
    return { entityRef: stringifyEntityRef(entity), vpcs };
  }

  private async vpcJobs(
    vpc: VpcConfig,
    selection: EntitySelection,
  ): Promise<VpcJobs> {
    const { directory } = this.options;
    const client = this.clientFor(vpc);
    const result: VpcJobs = { vpc: vpc.name, jenkins: client.name, jobs: [] };
    for (const bad of selection.invalid) {
      result.jobs.push(errorJob(bad.raw, bad.raw, bad.error));
    }

    const folders = new Map<string, JobSelector[]>();
    for (const selector of selection.selectorsByVpc.get(vpc.name) ?? []) {
      const folder = directory.parentFolder(vpc, selector);
      folders.set(folder, [...(folders.get(folder) ?? []), selector]);
    }
    const listings = await Promise.all(
      [...folders.keys()].map(async folder => {
        try {
          return { folder, listing: await this.listFolder(client, folder) };
        } catch (error) {
          return { folder, error };
        }
      }),
    );
    // The whole VPC is broken when no folder could be read for a reason other than "missing".
    const failures = listings.filter(l => l.error);
    if (
      failures.length > 0 &&
      failures.length === listings.length &&
      failures.some(l => (l.error as Error)?.name !== 'NotFoundError')
    ) {
      const first = failures.find(
        l => (l.error as Error)?.name !== 'NotFoundError',
      );
      return { ...result, jobs: [], error: errorMessage(first!.error) };
    }

    const found = new Map<string, RawJob>();
    for (const { folder, listing, error } of listings) {
      for (const selector of folders.get(folder) ?? []) {
        const label = [folder, selector.segments[selector.segments.length - 1]]
          .filter(Boolean)
          .join('/');
        // Jenkins failing to list a folder says nothing about what exists.
        if (error && (error as Error)?.name !== 'NotFoundError') {
          result.jobs.push(errorJob(selector.raw, label, errorMessage(error)));
          continue;
        }
        const matches = listing
          ? this.match(vpc, folder, selector, listing)
          : [];
        // Only a claim an operator's binding confirms shows the job.
        let shown = 0;
        for (const [fullName, raw] of matches) {
          const claim = directory.claimOf(selection, vpc, fullName);
          if (claim === 'valid') {
            found.set(fullName, raw);
            shown++;
          } else if (claim === 'conflict') {
            shown++;
            result.jobs.push(
              errorJob(
                fullName.split('/').pop()!,
                fullName,
                `Job '${fullName}' is bound to several entities (${directory
                  .boundEntities(vpc, fullName)
                  .join(
                    ', ',
                  )}) in batchJobs.ownership: nobody reads or acts on it through an entity until an operator resolves the conflict`,
              ),
            );
          }
        }
        if (shown === 0) {
          // One answer whether the folder is missing, nothing matches, or
          // only jobs bound to others match: anyone can write an annotation,
          // and it must not tell them which folders and jobs exist.
          result.jobs.push(
            errorJob(
              selector.raw,
              label,
              `'${selector.raw}' selects no job bound to ${selection.entityRef} in VPC '${vpc.name}': the annotation is a claim, and an operator binds jobs to entities in batchJobs.ownership`,
            ),
          );
        }
      }
    }

    const entries = [...found.entries()];
    const timezone = this.timezoneOf(vpc);
    const runConfigs = await mapLimit(
      entries,
      SCHEDULE_CONCURRENCY,
      ([fullName, raw]) => this.runConfig(client, fullName, raw, timezone),
    );
    const now = this.now;
    const templateVersions = await this.templateVersionsFor(runConfigs);
    const jobs = entries.map(([fullName, raw], i) => {
      const job = mapJob(raw, {
        now,
        fullName,
        schedule: describeSchedule(runConfigs[i].spec, {
          fullName,
          timezone,
          now,
        }),
        stats: jobStats(raw.builds),
      });
      // From the same cached config.xml read as the schedule.
      const { templateVersion, template: templateId } = runConfigs[i];
      const current =
        templateId && templateId !== STANDARD_JOB_TEMPLATE_ID
          ? templateVersions.get(templateId)
          : undefined;
      const template =
        templateId && templateId !== STANDARD_JOB_TEMPLATE_ID
          ? // Another template's version against its source's, when it can be read.
            templateInfoOf(templateVersion, {
              id: templateId,
              current: current ?? templateVersion!,
            })
          : templateInfoOf(templateVersion);
      return template ? { ...job, template } : job;
    });
    await this.addPortalCauses(
      vpc,
      entries.flatMap(([fullName, raw], i) =>
        raw.lastBuild && jobs[i].lastBuild
          ? [{ job: fullName, raw: raw.lastBuild, summary: jobs[i].lastBuild! }]
          : [],
      ),
    );
    await mapLimit(jobs, SCHEDULE_CONCURRENCY, job =>
      this.addPipelineNotes(client, job),
    );
    jobs.sort((a, b) => a.fullName.localeCompare(b.fullName));
    result.jobs.push(...jobs);
    return result;
  }

  /**
   * A failed pipeline build says in which stage, a running one whether it
   * waits for input: one Stage View read per such last build (finished
   * ones cached as long as schedules); a failure only leaves them out.
   */
  private async addPipelineNotes(
    client: JenkinsClient,
    job: JobSummary,
  ): Promise<void> {
    const build = job.lastBuild;
    const runs = this.options.runs;
    if (!runs || !build || job.kind !== 'pipeline') return;
    const finished = build.status === 'failure' || build.status === 'unstable';
    if (!finished && build.status !== 'running') return;
    const { cache } = this.options.config;
    try {
      const notes = (await this.options.cache.get(
        `jenkins:${client.name}:notes:${job.fullName}#${build.number}:${build.status}`,
        (finished ? cache.scheduleTtlSeconds : cache.ttlSeconds) * 1000,
        async () =>
          (await runs.notesFor(client, job.fullName, build.number)) as any,
      )) as { failedStage?: string; waitingForInput?: string };
      Object.assign(build, notes);
    } catch (error) {
      this.options.logger.warn(
        `Could not read stages of ${job.fullName} #${
          build.number
        }: ${errorMessage(error)}`,
      );
    }
  }

  /** Jobs of `listing` (the selector's parent folder) that the selector picks. */
  private match(
    vpc: VpcConfig,
    folder: string,
    selector: JobSelector,
    listing: RawJob,
  ): Array<[string, RawJob]> {
    const pattern = selector.segments[selector.segments.length - 1];
    const join = (...parts: Array<string | undefined>) =>
      parts.filter(Boolean).join('/');
    const out: Array<[string, RawJob]> = [];
    for (const item of listing.jobs ?? []) {
      if (!item?.name || !globMatches(pattern, item.name)) continue;
      const itemName = join(folder, item.name);
      if (isFolder(item)) {
        for (const child of item.jobs ?? []) {
          if (!child?.name || isFolder(child)) continue;
          const childName = join(itemName, child.name);
          if (this.options.directory.isInVpc(vpc, childName))
            out.push([childName, child]);
        }
      } else if (this.options.directory.isInVpc(vpc, itemName)) {
        out.push([itemName, item]);
      }
    }
    return out;
  }

  private listFolder(client: JenkinsClient, folder: string): Promise<RawJob> {
    return this.options.cache.get(
      `jenkins:${client.name}:folder:${folder}`,
      this.options.config.cache.ttlSeconds * 1000,
      async () => (await client.listFolder(folder)) as JsonValue as any,
    ) as Promise<RawJob>;
  }

  /**
   * Current versions of the other templates the listed jobs were rendered
   * with: asked only when there are such jobs; a failure shows their own
   * version as current.
   */
  private async templateVersionsFor(
    runConfigs: Array<{ template: string | null }>,
  ): Promise<Map<string, number>> {
    const { templateVersions, logger } = this.options;
    const others = runConfigs.some(
      c => c.template && c.template !== STANDARD_JOB_TEMPLATE_ID,
    );
    if (!others || !templateVersions) return new Map();
    try {
      return await templateVersions();
    } catch (error) {
      logger.warn(
        `Could not read job template versions: ${errorMessage(error)}`,
      );
      return new Map();
    }
  }

  /**
   * Timer spec and template version change rarely: cached long; a failure
   * only hides the schedule and the template version.
   */
  private async runConfig(
    client: JenkinsClient,
    fullName: string,
    raw: RawJob,
    timezone: string,
  ): Promise<{
    spec: string | null;
    templateVersion: number | null;
    template: string | null;
  }> {
    try {
      return await this.options.configs.get(client, fullName, {
        lastBuild: raw.lastBuild,
        timezone,
      });
    } catch (error) {
      this.options.logger.warn(
        `Could not read schedule of ${fullName}: ${errorMessage(error)}`,
      );
      return { spec: null, templateVersion: null, template: null };
    }
  }

  async listBuilds(request: {
    vpc: string;
    job: string;
    limit: number;
    cursor?: string;
  }): Promise<BuildsPage> {
    const { vpc, fullName } = this.options.directory.resolveJob(
      request.vpc,
      request.job,
    );
    const client = this.clientFor(vpc);
    const limit = Math.min(Math.max(1, request.limit), MAX_BUILDS_PAGE);
    const cursor = request.cursor ? decodeCursor(request.cursor) : undefined;
    const offset = cursor?.o ?? 0;
    const before = cursor?.b ?? Number.MAX_SAFE_INTEGER;
    // Slack for builds that arrived since the previous page shifted the list.
    const count = limit + 1 + (cursor ? 10 : 0);

    const raw = (await this.options.cache.get(
      `jenkins:${client.name}:builds:${fullName}:${offset}:${count}`,
      this.options.config.cache.ttlSeconds * 1000,
      async () => (await client.listBuilds(fullName, offset, count)) as any,
    )) as RawJob;

    const all = raw.allBuilds ?? [];
    const fresh = all
      .map((build, index) => ({ build, index }))
      .filter(
        ({ build }) =>
          typeof build?.number === 'number' && build.number < before,
      );
    const taken = fresh.slice(0, limit);
    const secretNames = secretParameterNames(raw);
    const now = this.now;
    const items = taken.map(({ build }) =>
      mapBuild(build, { now, secretNames }),
    );
    await this.addPortalCauses(
      vpc,
      taken.map(({ build }, i) => ({
        job: fullName,
        raw: build,
        summary: items[i],
      })),
    );

    const page: BuildsPage = { items };
    if (fresh.length > limit) {
      const last = taken[taken.length - 1];
      page.nextCursor = encodeCursor({
        o: offset + last.index + 1,
        b: last.build.number!,
      });
    } else if (all.length === count) {
      // Everything read was already seen; older builds may remain past it.
      const last = taken[taken.length - 1];
      page.nextCursor = encodeCursor({
        o: offset + all.length,
        b: last ? last.build.number! : before,
      });
    }
    return page;
  }

  async streamLog(request: {
    vpc: string;
    job: string;
    number: number;
    start: number;
  }): Promise<LogChunk> {
    const { vpc, fullName } = this.options.directory.resolveJob(
      request.vpc,
      request.job,
    );
    return this.clientFor(vpc).streamLog(
      fullName,
      request.number,
      request.start,
    );
  }

  async getQueueItem(request: {
    vpc: string;
    id: number;
    /** Throws unless the caller may read the item's job (null: a job we cannot name). */
    checkJob: (fullName: string | null) => Promise<void>;
  }): Promise<QueueItemStatus> {
    const vpc = this.options.directory.getVpc(request.vpc);
    const client = this.clientFor(vpc);
    const record = await this.options.audit.findByQueueItem(
      vpc.name,
      request.id,
    );
    let raw;
    try {
      raw = await client.getQueueItem(request.id);
    } catch (error) {
      // Jenkins forgets left items after a few minutes; our audit row remembers.
      if ((error as Error)?.name === 'NotFoundError' && record?.buildNumber) {
        await request.checkJob(record.job);
        return {
          id: request.id,
          state: 'started',
          why: null,
          build: {
            number: record.buildNumber,
            url: String(record.detail.buildUrl ?? ''),
          },
        };
      }
      throw error;
    }
    const taskJob = fullNameFromUrl(raw.task?.url);
    const inVpc = taskJob
      ? this.options.directory.isInVpc(vpc, taskJob)
      : false;
    if (!record && !inVpc) {
      throw new NotFoundError(
        `No queue item ${request.id} for a job of VPC '${vpc.name}'`,
      );
    }
    await request.checkJob(record?.job ?? (inVpc ? taskJob! : null));
    const status = mapQueueItem(raw);
    if (record && status.build && record.buildNumber === null) {
      await this.options.audit.recordBuild(record.id, status.build);
    }
    return status;
  }

  /**
   * Jenkins only sees our service account for builds started from the portal;
   * our audit trail knows the person. Adds a `portal` cause first and, when a
   * build is seen for a queue item for the first time, records its number.
   */
  private async addPortalCauses(
    vpc: VpcConfig,
    builds: Array<{ job: string; raw: RawBuild; summary: BuildSummary }>,
  ): Promise<void> {
    if (builds.length === 0) return;
    let records: AuditRecord[];
    try {
      records = await this.options.audit.listQueued({
        vpc: vpc.name,
        jobs: [...new Set(builds.map(b => b.job))],
        limit: 500,
      });
    } catch (error) {
      this.options.logger.warn(
        `Could not read audit trail: ${errorMessage(error)}`,
      );
      return;
    }
    if (records.length === 0) return;
    const byBuild = new Map<string, AuditRecord>();
    const byQueue = new Map<string, AuditRecord>();
    for (const r of records) {
      if (r.buildNumber !== null) byBuild.set(`${r.job}#${r.buildNumber}`, r);
      if (r.queueItemId !== null) byQueue.set(`${r.job}@${r.queueItemId}`, r);
    }
    for (const { job, raw, summary } of builds) {
      let record = byBuild.get(`${job}#${summary.number}`);
      if (!record && typeof raw.queueId === 'number') {
        record = byQueue.get(`${job}@${raw.queueId}`);
        if (record && record.buildNumber === null) {
          await this.options.audit
            .recordBuild(record.id, {
              number: summary.number,
              url: summary.url,
            })
            .catch(error =>
              this.options.logger.warn(
                `Could not link build to audit: ${errorMessage(error)}`,
              ),
            );
        }
      }
      if (record) {
        const cause: BuildCause = {
          kind: 'portal',
          description: `Rerun by ${record.actor} in the portal`,
          actor: record.actor,
        };
        summary.causes = [cause, ...summary.causes];
      }
    }
  }
}

function errorJob(name: string, fullName: string, error: string): JobSummary {
  return {
    name,
    fullName,
    displayName: name,
    url: '',
    kind: 'other',
    color: null,
    buildable: false,
    parameterized: false,
    schedule: { spec: null },
    lastBuild: null,
    error,
  };
}
