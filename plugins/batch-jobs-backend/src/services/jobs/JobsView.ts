import { LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError, isError } from '@backstage/errors';
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
import { JobRunConfig } from '../jenkins/mapping';
import { ReadCache, SerializedView } from './ReadCache';
import { JobListings, ListingSource, ListingWatcher } from './JobListings';
import { mapLimit } from './mapLimit';
import { PipelineRuns } from './PipelineRuns';

/** Upper bound of one builds page. @public */
export const MAX_BUILDS_PAGE = 100;

// Jobs in a VPC whose config.xml we fetch at once, to spare big controllers.
const SCHEDULE_CONCURRENCY = 6;
// How often a list may be mapped again on the backend's own after one
// viewer's request (normally once, after the last batch of what it did
// not wait for; a bound all the same), and how many lists' loads are kept.
const RELOADS_PER_VIEW = 8;
const MAX_RELOADS = 500;
// How long a config.xml that could not be read is not asked for again.
const CONFIG_RETRY_MS = 60_000;
const MAX_CONFIG_FAILURES = 5000;
// The run configs that stand for a config.xml that could not be read, and why.
const unreadSchedule = new WeakMap<JobRunConfig, string>();
// What withinBudget answers for a promise that did not settle in time.
const TOO_LATE = Symbol('too late');

/**
 * Where a list starts the reads it will not wait for. A serialised view
 * starts them once it is sent: setting up dozens of requests costs a freshly
 * started process tens of milliseconds of CPU, which its viewer would wait for.
 */
type Defer = (start: () => void) => void;

/** `start()` now, or once `defer` lets it (a promise of its result either way). */
function startWhen<T>(defer: Defer | undefined, start: () => Promise<T>) {
  if (!defer) return start();
  return new Promise<T>((resolve, reject) =>
    defer(() => start().then(resolve, reject)),
  );
}

/** How long one VPC's list may still wait for its extras, and where those it will not wait for start. */
interface ListTiming {
  started: number;
  /** The list does not wait for reads that are not cached. */
  hurried: boolean;
  defer?: Defer;
}

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
      /** Job listings, watched while tabs look at them; read directly when absent. */
      listings?: JobListings;
      /**
       * How long a list waits for schedules and stats that are not cached
       * yet (ms); what is not read by then follows (`loading`), and the
       * entity's viewers are told (`onExtrasLoaded`).
       */
      extrasWaitMs?: number;
      onExtrasLoaded?: (entityRef: string) => void;
    },
  ) {
    this.listings =
      options.listings ??
      new JobListings({
        cache: options.cache,
        logger: options.logger,
        intervalMs: options.config.cache.ttlSeconds * 1000,
        leaseMs: 0,
        ttlMs: options.config.cache.ttlSeconds * 1000,
        statsTtlMs: options.config.cache.scheduleTtlSeconds * 1000,
      });
  }

  private readonly listings: JobListings;
  private readonly configFailures = new Map<
    string,
    { until: number; config: JobRunConfig }
  >();
  private readonly extrasPending = new Map<string, number>();
  private readonly reloads = new Map<
    string,
    { run: () => void; left: number; until: number }
  >();

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
    viewer?: { userRef?: string },
  ): Promise<SerializedView> {
    const selection = await this.options.directory.selectionFor(entity);
    const entityRef = stringifyEntityRef(entity);
    const key = JSON.stringify(['entity-jobs', entityRef, selection.key]);
    const watcher = { entityRef, userRef: viewer?.userRef };
    const ttlMs = this.options.config.cache.ttlSeconds * 1000;
    const load = async () => {
      const deferred: Array<() => void> = [];
      const view = await this.options.cache.getSerialized(
        key,
        ttlMs,
        async () =>
          finish(
            await this.collectEntityJobs(entity, selection, watcher, start =>
              deferred.push(start),
            ),
          ),
      );
      // After the caller's synchronous send (microtasks run before this).
      if (deferred.length)
        setImmediate(() => deferred.splice(0).forEach(start => start()));
      return view;
    };
    const view = await load();
    if (ttlMs > 0) this.rememberReload(key, load, ttlMs);
    // A view served from memory still says who watches its listings.
    if (viewer) this.listings.renewWatches(watcher);
    return view;
  }

  /**
   * Keeps how `key` was loaded, so that it can be mapped again when what
   * it did not wait for lands (`extrasLoaded`): a few times, within one
   * TTL of a viewer's request, never on its own after that.
   */
  private rememberReload(
    key: string,
    load: () => Promise<unknown>,
    ttlMs: number,
  ) {
    this.reloads.delete(key);
    if (this.reloads.size >= MAX_RELOADS)
      this.reloads.delete(this.reloads.keys().next().value!);
    this.reloads.set(key, {
      run: () => {
        load().catch(error =>
          this.options.logger.warn(
            `Could not map a job list again: ${errorMessage(error)}`,
          ),
        );
      },
      left: RELOADS_PER_VIEW,
      until: this.now + ttlMs,
    });
  }

  /** Reads a list did not wait for are on their way (`extrasLoaded` follows). */
  private extrasStarted(entityRef: string) {
    this.extrasPending.set(
      entityRef,
      (this.extrasPending.get(entityRef) ?? 0) + 1,
    );
  }

  /**
   * Reads a list did not wait for have landed: its views are dropped and
   * mapped again now, before the viewers that `onExtrasLoaded` tells come
   * back, so they are served the complete list from memory (one mapping
   * for all of them, already done) instead of waiting for it.
   */
  private extrasLoaded(entityRef: string) {
    const prefix = JobsView.viewKeyPrefix(entityRef);
    this.options.cache.dropViews(prefix);
    const pending = (this.extrasPending.get(entityRef) ?? 1) - 1;
    if (pending > 0) this.extrasPending.set(entityRef, pending);
    else this.extrasPending.delete(entityRef);
    // Batches still on their way: viewers get what there is, and the list
    // is mapped again once, after the last of them.
    const now = this.now;
    for (const [key, reload] of pending > 0 ? [] : [...this.reloads]) {
      if (!key.startsWith(prefix)) continue;
      if (reload.left <= 0 || now > reload.until) {
        this.reloads.delete(key);
        continue;
      }
      reload.left--;
      reload.run();
    }
    this.options.onExtrasLoaded?.(entityRef);
  }

  /** The serialised views of `entityRef` (to drop them when Jenkins changed). */
  static viewKeyPrefix(entityRef: string): string {
    return JSON.stringify(['entity-jobs', entityRef]).slice(0, -1);
  }

  /** Where each selector of `vpc` is read from: its item, or its folder for a glob. */
  private sourcesOf(
    vpc: VpcConfig,
    selection: EntitySelection,
  ): Map<string, JobSelector[]> {
    const sources = new Map<string, JobSelector[]>();
    for (const selector of selection.selectorsByVpc.get(vpc.name) ?? []) {
      const folder = this.options.directory.parentFolder(vpc, selector);
      const last = selector.segments[selector.segments.length - 1];
      const source: ListingSource = last.includes('*')
        ? { kind: 'folder', path: folder }
        : { kind: 'item', path: [folder, last].filter(Boolean).join('/') };
      const key = JSON.stringify([source.kind, source.path]);
      sources.set(key, [...(sources.get(key) ?? []), selector]);
    }
    return sources;
  }

  async listEntityJobs(
    entity: Entity,
    selection?: EntitySelection,
    watcher?: ListingWatcher,
  ): Promise<EntityJobsResponse> {
    return this.collectEntityJobs(entity, selection, watcher);
  }

  private async collectEntityJobs(
    entity: Entity,
    selection?: EntitySelection,
    watcher?: ListingWatcher,
    defer?: Defer,
  ): Promise<EntityJobsResponse> {
    const { directory } = this.options;
    const claims = selection ?? (await directory.selectionFor(entity));
    const vpcs: VpcJobs[] = await Promise.all(
      claims.vpcs.map(vpc => this.vpcJobs(vpc, claims, watcher, defer)),
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
    watcher?: ListingWatcher,
    defer?: Defer,
  ): Promise<VpcJobs> {
    const started = this.now;
    const { directory } = this.options;
    const client = this.clientFor(vpc);
    const result: VpcJobs = { vpc: vpc.name, jenkins: client.name, jobs: [] };
    for (const bad of selection.invalid) {
      result.jobs.push(errorJob(bad.raw, bad.raw, bad.error));
    }

    const sources = this.sourcesOf(vpc, selection);
    const listings = await Promise.all(
      [...sources.keys()].map(async key => {
        const source = parseSource(key);
        try {
          const listing = await this.listings.read(client, source);
          return { key, source, listing };
        } catch (error) {
          return { key, source, error };
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
    // Which listing each job came from: its stats are read per listing.
    const sourceOf = new Map<string, ListingSource>();
    // Listings with a job bound to the entity: the only ones its viewers watch.
    const watched = new Set<string>();
    for (const { key, source, listing, error } of listings) {
      for (const selector of sources.get(key) ?? []) {
        const folder = directory.parentFolder(vpc, selector);
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
            sourceOf.set(fullName, source);
            watched.add(key);
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

    if (watcher) {
      const shows = directory.selectsIn(selection, vpc);
      await Promise.all(
        [...watched].map(key =>
          this.listings.keepWatching(client, parseSource(key), watcher, shows),
        ),
      );
    }
    const entries = [...found.entries()];
    const timezone = this.timezoneOf(vpc);
    const extras = await this.extras(client, entries, {
      sourceOf,
      timezone,
      started,
      entityRef: selection.entityRef,
      defer,
    });
    const runConfigs = entries.map(
      ([fullName]) =>
        extras.configs.get(fullName) ?? {
          spec: null,
          label: null,
          templateVersion: null,
          template: null,
        },
    );
    const now = this.now;
    const templateVersions = await this.templateVersionsFor(runConfigs);
    const jobs = entries.map(([fullName, raw], i) => {
      const loading: Array<'schedule' | 'stats'> = [];
      if (!extras.configs.has(fullName)) loading.push('schedule');
      if (!extras.stats.has(fullName)) loading.push('stats');
      const mapped = mapJob(raw, {
        now,
        fullName,
        schedule: unreadSchedule.has(runConfigs[i])
          ? {
              spec: null,
              error: `Could not read its schedule (config.xml) from Jenkins: ${unreadSchedule.get(
                runConfigs[i],
              )}`,
            }
          : describeSchedule(runConfigs[i].spec, {
              fullName,
              timezone,
              now,
            }),
        stats: extras.stats.has(fullName)
          ? jobStats(extras.stats.get(fullName))
          : undefined,
      });
      const job: JobSummary = loading.length ? { ...mapped, loading } : mapped;
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
    const late: Array<Promise<unknown>> = [];
    // A list that did not wait for schedules does not wait for notes either.
    const timing: ListTiming = {
      started,
      hurried: Boolean(extras.hurried),
      defer,
    };
    await mapLimit(jobs, SCHEDULE_CONCURRENCY, job =>
      this.addPipelineNotes(client, job, timing, late),
    );
    if (late.length) {
      // Stage notes read after the list answered: its viewers refresh.
      this.extrasStarted(selection.entityRef);
      Promise.all(late).then(() => this.extrasLoaded(selection.entityRef));
    }
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
    timing: ListTiming,
    late: Array<Promise<unknown>>,
  ): Promise<void> {
    const build = job.lastBuild;
    const runs = this.options.runs;
    if (!runs || !build || job.kind !== 'pipeline') return;
    const finished = build.status === 'failure' || build.status === 'unstable';
    if (!finished && build.status !== 'running') return;
    const { cache } = this.options.config;
    type Notes = { failedStage?: string; waitingForInput?: string };
    const key = `jenkins:${client.name}:notes:${job.fullName}#${build.number}:${build.status}`;
    const cached = await this.options.cache.peek<Notes>(key);
    if (cached) {
      Object.assign(build, cached);
      return;
    }
    const read = () =>
      this.options.cache.get(
        key,
        (finished ? cache.scheduleTtlSeconds : cache.ttlSeconds) * 1000,
        async () =>
          (await runs.notesFor(client, job.fullName, build.number)) as any,
      );
    const load = (timing.hurried ? startWhen(timing.defer, read) : read()).then(
      notes => notes as Notes,
      error => {
        this.options.logger.warn(
          `Could not read stages of ${job.fullName} #${
            build.number
          }: ${errorMessage(error)}`,
        );
        return undefined;
      },
    );
    // Like schedules: a slow Stage View must not hold the list back.
    const notes = timing.hurried
      ? TOO_LATE
      : await withinBudget(load, this.budgetLeft(timing.started));
    if (notes === TOO_LATE) late.push(load);
    else if (notes) Object.assign(build, notes);
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

  /**
   * Schedules (config.xml) and recent builds of the listed jobs: from the
   * cache, else read now. The list waits for them only until `extrasWaitMs`
   * after it started; what is not read by then shows as loading, and the
   * entity's viewers are told once it is (a slow Jenkins must not hold the
   * list back by one config.xml read per job).
   */
  private async extras(
    client: JenkinsClient,
    entries: Array<[string, RawJob]>,
    context: {
      sourceOf: Map<string, ListingSource>;
      timezone: string;
      started: number;
      entityRef: string;
      defer?: Defer;
    },
  ): Promise<{
    configs: Map<string, JobRunConfig>;
    stats: Map<string, RawBuild[]>;
    /** The list did not wait: what is not read yet could not be in time. */
    hurried?: boolean;
  }> {
    const { timezone, sourceOf } = context;
    const configs = new Map<string, JobRunConfig>();
    const stats = new Map<string, RawBuild[]>();
    const work: Array<() => Promise<void>> = [];
    for (const [fullName, raw] of entries) {
      const context2 = { lastBuild: raw.lastBuild, timezone };
      const cached = await this.options.configs.peek(
        client,
        fullName,
        context2,
      );
      const failed = cached ? undefined : this.configFailure(client, fullName);
      if (cached) configs.set(fullName, cached);
      else if (failed) configs.set(fullName, failed);
      else
        work.push(async () => {
          configs.set(
            fullName,
            await this.runConfig(client, fullName, raw, timezone),
          );
        });
    }
    const bySource = new Map<
      string,
      {
        source: ListingSource;
        jobs: Array<{ fullName: string; lastCompleted: number | null }>;
      }
    >();
    for (const [fullName, raw] of entries) {
      const source = sourceOf.get(fullName)!;
      const key = JSON.stringify([source.kind, source.path]);
      const group = bySource.get(key) ?? { source, jobs: [] };
      group.jobs.push({
        fullName,
        lastCompleted: raw.lastCompletedBuild?.number ?? null,
      });
      bySource.set(key, group);
    }
    for (const { source, jobs } of bySource.values()) {
      const known = await this.listings.stats(client, source, jobs);
      // Stale stats show until fresh ones are read: one build behind at most.
      for (const job of jobs) {
        const builds = known.builds.get(job.fullName);
        if (builds) stats.set(job.fullName, builds);
      }
      if (known.fresh) continue;
      work.push(async () => {
        try {
          const read = await known.load();
          for (const job of jobs)
            stats.set(job.fullName, read.get(job.fullName) ?? []);
        } catch (error) {
          this.options.logger.warn(
            `Could not read recent builds of ${
              source.path || '/'
            }: ${errorMessage(error)}`,
          );
          for (const job of jobs)
            if (!stats.has(job.fullName)) stats.set(job.fullName, []);
        }
      });
    }
    if (work.length === 0) return { configs, stats };

    // Waiting that cannot end in time only delays the list: the reads ahead
    // go in rounds of SCHEDULE_CONCURRENCY, each about as long as this list
    // took so far (one listing read, when it was not cached).
    const budget = this.budgetLeft(context.started);
    const spent = this.now - context.started;
    const hopeless =
      Number.isFinite(budget) &&
      (budget <= 0 ||
        Math.ceil(work.length / SCHEDULE_CONCURRENCY) * spent > budget);
    const readAll = () => mapLimit(work, SCHEDULE_CONCURRENCY, w => w());
    // Reads the list will not wait for start after it is sent.
    const all = hopeless ? startWhen(context.defer, readAll) : readAll();
    const done = hopeless
      ? TOO_LATE
      : await withinBudget(
          all.then(() => true),
          budget,
        );
    if (done === TOO_LATE) {
      this.extrasStarted(context.entityRef);
      all.then(
        () => this.extrasLoaded(context.entityRef),
        () => this.extrasLoaded(context.entityRef),
      );
    }
    // A snapshot: reads finishing later must not change a list being mapped.
    return {
      configs: new Map(configs),
      stats: new Map(stats),
      hurried: hopeless,
    };
  }

  /** What is left of `extrasWaitMs` for a list started at `started` (Infinity: no limit). */
  private budgetLeft(started: number): number {
    return (
      (this.options.extrasWaitMs ?? Number.POSITIVE_INFINITY) -
      (this.now - started)
    );
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
  ): Promise<JobRunConfig> {
    try {
      return await this.options.configs.get(client, fullName, {
        lastBuild: raw.lastBuild,
        timezone,
      });
    } catch (error) {
      this.options.logger.warn(
        `Could not read schedule of ${fullName}: ${errorMessage(error)}`,
      );
      return this.rememberConfigFailure(client, fullName, errorMessage(error));
    }
  }

  /**
   * A job whose config.xml could not be read (a 403 for an account without
   * Job/ExtendedRead, a 5xx) is shown without a schedule, with the reason,
   * for CONFIG_RETRY_MS before it is read again: else every mapping of its
   * list, and the signal each sends, would read it again at once.
   */
  private rememberConfigFailure(
    client: JenkinsClient,
    fullName: string,
    message: string,
  ): JobRunConfig {
    const unread: JobRunConfig = {
      spec: null,
      label: null,
      templateVersion: null,
      template: null,
    };
    unreadSchedule.set(unread, message);
    const key = `${client.name}\n${fullName}`;
    this.configFailures.delete(key);
    if (this.configFailures.size >= MAX_CONFIG_FAILURES)
      this.configFailures.delete(this.configFailures.keys().next().value!);
    this.configFailures.set(key, {
      until: this.now + CONFIG_RETRY_MS,
      config: unread,
    });
    return unread;
  }

  private configFailure(
    client: JenkinsClient,
    fullName: string,
  ): JobRunConfig | undefined {
    const key = `${client.name}\n${fullName}`;
    const failure = this.configFailures.get(key);
    if (!failure) return undefined;
    if (failure.until > this.now) return failure.config;
    this.configFailures.delete(key);
    return undefined;
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

/** `promise`'s value if it settles within `ms` (Infinity: whenever), else TOO_LATE. */
async function withinBudget<T>(
  promise: Promise<T>,
  ms: number,
): Promise<T | typeof TOO_LATE> {
  if (ms === Number.POSITIVE_INFINITY) return promise;
  if (ms <= 0) return TOO_LATE;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<typeof TOO_LATE>(resolve => {
        timer = setTimeout(() => resolve(TOO_LATE), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function parseSource(key: string): ListingSource {
  const [kind, path] = JSON.parse(key) as [ListingSource['kind'], string];
  return { kind, path };
}
