import { LoggerService } from '@backstage/backend-plugin-api';
import { JsonValue } from '@backstage/types';
import { createHash } from 'node:crypto';
import {
  FOLDER_CHANGE_TREE,
  FOLDER_LIST_TREE,
  FOLDER_STATS_TREE,
  ITEM_CHANGE_TREE,
  ITEM_STATS_TREE,
  ITEM_TREE,
  JenkinsClient,
} from '../jenkins/JenkinsClient';
import { RawBuild, RawJob } from '../jenkins/types';
import { ReadCache } from './ReadCache';

/**
 * What one job list read asks Jenkins for: the item an entity names
 * exactly (a job, or a folder and its jobs), or, for a glob, the folder the
 * glob is matched in (its jobs and its sub-folders' jobs).
 * @public
 */
export interface ListingSource {
  kind: 'item' | 'folder';
  /** Jenkins full name of the item or folder ('' is the root). */
  path: string;
}

/** Who is looking at a listing: the entity page and the signed-in user. @public */
export interface ListingWatcher {
  entityRef: string;
  /** Absent for service callers, which get no signals. */
  userRef?: string;
}

/**
 * Called once per entity watching a listing that changed, with the users
 * who watched that entity's list: never one entity's change to another
 * entity's viewers.
 * @public
 */
export type ListingsChanged = (change: {
  entityRefs: string[];
  userRefs: string[];
}) => void | Promise<void>;

interface Watch {
  client: JenkinsClient;
  source: ListingSource;
  /** Until when someone still looks (renewed by every read). */
  leaseUntil: number;
  watchers: Map<string, { watcher: ListingWatcher; until: number }>;
  /**
   * Per watching entity: which of the listing's jobs its list shows, and
   * their state when its viewers were last told. An entity is told only
   * when its own jobs changed, not when others' in the same folder did.
   */
  shown: Map<string, { shows: (fullName: string) => boolean; state?: string }>;
  /** Latest listing, and when Jenkins last confirmed it (ms). */
  listing?: RawJob;
  /** ReadCache generation when it was read: a change we made since voids it. */
  generation?: string;
  verifiedAt: number;
  fingerprint?: string;
  ticks: number;
  timer?: ReturnType<typeof setTimeout>;
  polling: boolean;
}

// A watched list is read again in full this often even when nothing
// changed: parameters or display names change without a new build.
const FULL_READ_EVERY_TICKS = 20;
// Most listings watched at once per process; more are read per request.
const MAX_WATCHES = 500;

function sourceKey(client: JenkinsClient, source: ListingSource): string {
  return `${client.name}\n${source.kind}\n${source.path}`;
}

/** The listing as the job list matches it: a parent folder's `jobs`. */
function asParentListing(source: ListingSource, raw: RawJob): RawJob {
  return source.kind === 'item' ? { jobs: [raw] } : raw;
}

/**
 * The Jenkins reads behind job lists, shared by every tab: while anyone
 * looks at a list, one poller per (controller, item) asks Jenkins a few
 * bytes per job every interval, reads the whole listing only when they
 * change, and says who should refresh (`onChange`). So N open tabs cost
 * Jenkins what one costs, and a tab learns of a change within one interval.
 * Build history for the stats column is read only when a job finished a
 * build since it was last read.
 * @public
 */
export class JobListings {
  private readonly watches = new Map<string, Watch>();
  private onChange?: ListingsChanged;

  constructor(
    private readonly options: {
      cache: ReadCache;
      logger: LoggerService;
      /** How often a watched listing is checked (ms). */
      intervalMs: number;
      /** How long a listing stays watched after its last read (ms). */
      leaseMs: number;
      /** TTL of listings read outside a watch (ms). */
      ttlMs: number;
      /** TTL of build histories (ms); they are re-read when a build finishes anyway. */
      statsTtlMs: number;
      now?: () => number;
    },
  ) {}

  private get now() {
    return this.options.now ? this.options.now() : Date.now();
  }

  /** Called with the entities and users to refresh when a watched listing changed. */
  setChangeListener(listener: ListingsChanged) {
    this.onChange = listener;
  }

  /**
   * The listing of `source` (shaped as its parent folder's), from its watch
   * when it is fresh, else read (and cached for the TTL). Starts no watch:
   * `keepWatching` does, once the caller knows the listing is the viewer's.
   */
  async read(client: JenkinsClient, source: ListingSource): Promise<RawJob> {
    // A TTL of 0 means "no caching" (tests, debugging): nothing is watched.
    const watch =
      this.options.ttlMs > 0
        ? this.watches.get(sourceKey(client, source))
        : undefined;
    const now = this.now;
    const generation = await this.options.cache.currentGeneration();
    if (
      watch?.listing &&
      watch.generation === generation &&
      now - watch.verifiedAt <= 2 * this.options.intervalMs
    )
      return asParentListing(source, watch.listing);
    const raw = (await this.options.cache.get(
      listingKey(client.name, source),
      this.options.ttlMs,
      async () =>
        (await client.getItem(
          source.path,
          source.kind === 'item' ? ITEM_TREE : FOLDER_LIST_TREE,
        )) as JsonValue as any,
    )) as RawJob;
    // What was read is what the next probe is compared with.
    if (watch && !watch.polling) this.remember(watch, raw, generation);
    return asParentListing(source, raw);
  }

  /**
   * Recent builds per job full name of `source`, for the stats column.
   * `fresh` is false when a job finished a build since they were read (or
   * they were never read): the caller shows what there is and may `load`.
   */
  async stats(
    client: JenkinsClient,
    source: ListingSource,
    jobs: Array<{ fullName: string; lastCompleted: number | null }>,
  ): Promise<{
    builds: Map<string, RawBuild[]>;
    fresh: boolean;
    /** Reads them (once for concurrent callers) unless the cache has fresh ones. */
    load: () => Promise<Map<string, RawBuild[]>>;
  }> {
    const key = `jenkins:${client.name}:stats:${source.kind}:${source.path}`;
    const marks = Object.fromEntries(
      jobs.map(j => [j.fullName, j.lastCompleted]),
    );
    // A type, not an interface: it must be assignable to JsonValue.
    type Cached = {
      marks: { [fullName: string]: number | null };
      builds: { [fullName: string]: JsonValue };
    };
    const isFresh = (c: Cached | undefined) =>
      Boolean(c) && jobs.every(j => c!.marks[j.fullName] === j.lastCompleted);
    const cached = await this.options.cache.peek<Cached>(key);
    const load = async () => {
      const read = await this.options.cache.get<Cached>(
        key,
        this.options.statsTtlMs,
        async () => {
          const raw = await client.getItem(
            source.path,
            source.kind === 'item' ? ITEM_STATS_TREE : FOLDER_STATS_TREE,
          );
          return { marks, builds: buildsByName(source, raw) as any };
        },
        { accept: c => isFresh(c) },
      );
      return new Map(
        Object.entries(read.builds) as Array<[string, RawBuild[]]>,
      );
    };
    return {
      builds: new Map(
        Object.entries(cached?.builds ?? {}) as Array<[string, RawBuild[]]>,
      ),
      fresh: isFresh(cached),
      load,
    };
  }

  /**
   * Starts or renews `watcher`'s watch of `source`. Its changes are signalled
   * to the watcher, so only for a listing in which the watcher's entity
   * validly claims a job: a claim alone (an annotation anyone can write) must
   * not tell anyone when another team's jobs change.
   */
  async keepWatching(
    client: JenkinsClient,
    source: ListingSource,
    watcher: ListingWatcher,
    /** Which jobs (full names) the watcher's entity shows of this listing. */
    shows: (fullName: string) => boolean,
  ): Promise<void> {
    if (this.options.ttlMs <= 0) return;
    const watch = this.watch(client, source, watcher);
    if (!watch) return;
    if (!watch.listing) {
      // A new watch starts from what the caller was just shown (generation
      // first: a change we make meanwhile deletes the entry, never keeps it).
      const generation = await this.options.cache.currentGeneration();
      const raw = await this.options.cache.peek<JsonValue>(
        listingKey(client.name, source),
      );
      if (raw && !watch.listing && !watch.polling)
        this.remember(watch, raw as any as RawJob, generation);
    }
    watch.shown.set(watcher.entityRef, {
      shows,
      state: watch.listing
        ? shownState(source, watch.listing, shows)
        : watch.shown.get(watcher.entityRef)?.state,
    });
  }

  /**
   * Renews `watcher` on the listings its entity is watched on now: a view
   * served from memory says who still looks, without reading or matching.
   */
  renewWatches(watcher: ListingWatcher): void {
    const now = this.now;
    for (const watch of [...this.watches.values()]) {
      for (const { watcher: other, until } of watch.watchers.values()) {
        if (other.entityRef === watcher.entityRef && until > now) {
          this.watch(watch.client, watch.source, watcher);
          break;
        }
      }
    }
  }

  private watch(
    client: JenkinsClient,
    source: ListingSource,
    watcher: ListingWatcher,
  ): Watch | undefined {
    const key = sourceKey(client, source);
    const now = this.now;
    let watch = this.watches.get(key);
    if (!watch) {
      if (this.watches.size >= MAX_WATCHES) return undefined;
      watch = {
        client,
        source,
        leaseUntil: 0,
        watchers: new Map(),
        shown: new Map(),
        verifiedAt: 0,
        ticks: 0,
        polling: false,
      };
      this.watches.set(key, watch);
      this.schedule(key, watch);
    }
    watch.leaseUntil = now + this.options.leaseMs;
    watch.watchers.set(`${watcher.entityRef}\n${watcher.userRef ?? ''}`, {
      watcher,
      until: now + this.options.leaseMs,
    });
    return watch;
  }

  private schedule(key: string, watch: Watch) {
    watch.timer = setTimeout(
      () => this.tick(key, watch),
      this.options.intervalMs,
    );
    // Watching must never keep the backend alive on shutdown.
    watch.timer.unref?.();
  }

  private async tick(key: string, watch: Watch) {
    const now = this.now;
    if (watch.leaseUntil <= now) {
      this.watches.delete(key);
      return;
    }
    for (const [id, w] of watch.watchers)
      if (w.until <= now) watch.watchers.delete(id);
    const watching = new Set(
      [...watch.watchers.values()].map(w => w.watcher.entityRef),
    );
    for (const entityRef of watch.shown.keys())
      if (!watching.has(entityRef)) watch.shown.delete(entityRef);
    try {
      await this.check(watch);
    } catch (error) {
      // The next read goes to Jenkins itself and reports the failure.
      this.options.logger.debug(
        `Could not check ${watch.source.path || '/'} on Jenkins '${
          watch.client.name
        }': ${(error as Error).message}`,
      );
    }
    if (this.watches.get(key) === watch) this.schedule(key, watch);
  }

  /** One poll: the change tree, then the listing if it moved. */
  async check(watch: Watch): Promise<boolean> {
    if (watch.polling) return false;
    watch.polling = true;
    try {
      const { client, source } = watch;
      const probe = await client.getItem(
        source.path,
        source.kind === 'item' ? ITEM_CHANGE_TREE : FOLDER_CHANGE_TREE,
      );
      const fingerprint = fingerprintOf(source, probe);
      watch.ticks++;
      const changed =
        watch.fingerprint !== undefined && fingerprint !== watch.fingerprint;
      if (
        !watch.listing ||
        changed ||
        watch.ticks % FULL_READ_EVERY_TICKS === 0
      ) {
        const generation = await this.options.cache.currentGeneration();
        const listing = await client.getItem(
          source.path,
          source.kind === 'item' ? ITEM_TREE : FOLDER_LIST_TREE,
        );
        this.remember(watch, listing, generation);
        await this.options.cache.set(
          listingKey(client.name, source),
          listing as JsonValue as any,
          this.options.ttlMs,
        );
      } else {
        watch.fingerprint = fingerprint;
        watch.verifiedAt = this.now;
      }
      if (changed) await this.notify(watch, probe);
      return changed;
    } finally {
      watch.polling = false;
    }
  }

  private remember(watch: Watch, listing: RawJob, generation: string) {
    watch.listing = listing;
    watch.generation = generation;
    watch.fingerprint = fingerprintOf(watch.source, listing);
    watch.verifiedAt = this.now;
  }

  /**
   * Tells each entity's own watchers, per entity (see `ListingsChanged`),
   * and only the entities whose shown jobs changed in `probe`.
   */
  private async notify(watch: Watch, probe: RawJob) {
    if (!this.onChange) return;
    const usersOf = new Map<string, Set<string>>();
    for (const { watcher } of watch.watchers.values()) {
      const users = usersOf.get(watcher.entityRef) ?? new Set<string>();
      if (watcher.userRef) users.add(watcher.userRef);
      usersOf.set(watcher.entityRef, users);
    }
    for (const [entityRef, users] of usersOf) {
      const shown = watch.shown.get(entityRef);
      if (shown) {
        const state = shownState(watch.source, probe, shown.shows);
        const same = shown.state === state;
        shown.state = state;
        if (same) continue;
      }
      try {
        await this.onChange({ entityRefs: [entityRef], userRefs: [...users] });
      } catch (error) {
        this.options.logger.warn(
          `Could not announce a job list change: ${(error as Error).message}`,
        );
      }
    }
  }

  /** The users watching `entityRef` now (they get its change signals). */
  watchersOf(entityRef: string): string[] {
    const now = this.now;
    const users = new Set<string>();
    for (const watch of this.watches.values()) {
      for (const { watcher, until } of watch.watchers.values()) {
        if (until > now && watcher.entityRef === entityRef && watcher.userRef)
          users.add(watcher.userRef);
      }
    }
    return [...users];
  }

  /** Number of listings polled now (tests, metrics). */
  get watchedCount(): number {
    return this.watches.size;
  }

  /** Polls every watched listing once, now (tests). */
  async checkAll(): Promise<void> {
    await Promise.all([...this.watches.values()].map(w => this.check(w)));
  }

  /** Stops every poller (shutdown, tests). */
  stop() {
    for (const watch of this.watches.values()) clearTimeout(watch.timer);
    this.watches.clear();
  }
}

/**
 * The cache keys of every listing that may hold `fullName`: drop them after
 * changing the job through Jenkins.
 * @public
 */
export function listingCacheKeys(
  clientName: string,
  fullName: string,
): string[] {
  const parts = fullName.split('/');
  const keys = [listingKey(clientName, { kind: 'folder', path: '' })];
  for (let i = 1; i <= parts.length; i++) {
    const path = parts.slice(0, i).join('/');
    keys.push(listingKey(clientName, { kind: 'item', path }));
    if (i < parts.length)
      keys.push(listingKey(clientName, { kind: 'folder', path }));
  }
  return keys;
}

/** Where the listing of `source` on the controller `clientName` is cached. */
function listingKey(clientName: string, source: ListingSource): string {
  return `jenkins:${clientName}:listing:${source.kind}:${source.path}`;
}

/** What the change tree carries of one job, and a full listing too. */
function changeOf(job: RawJob): unknown[] {
  return [
    job.color ?? null,
    job.buildable ?? null,
    job.lastBuild?.number ?? null,
    job.lastBuild?.result ?? null,
    job.lastCompletedBuild?.number ?? null,
  ];
}

/** Calls `visit` with every job of a read of `source` (nested ones too) and its full name. */
function forEachJob(
  source: ListingSource,
  raw: RawJob,
  visit: (job: RawJob, fullName: string) => void,
) {
  const walk = (job: RawJob, fullName: string) => {
    visit(job, fullName);
    for (const child of job.jobs ?? [])
      if (child?.name) walk(child, `${fullName}/${child.name}`);
  };
  if (source.kind === 'item') walk(raw, source.path);
  else
    for (const job of raw.jobs ?? [])
      if (job?.name)
        walk(job, source.path ? `${source.path}/${job.name}` : job.name);
}

/**
 * What the change tree says of `raw` (a listing or a probe): the same
 * fields from either, so one can be compared with the other.
 */
function fingerprintOf(source: ListingSource, raw: RawJob): string {
  const pick = (job: RawJob | null): unknown =>
    job && [job.name, ...changeOf(job), (job.jobs ?? []).map(pick)];
  const value = source.kind === 'item' ? pick(raw) : (raw.jobs ?? []).map(pick);
  return createHash('sha1').update(JSON.stringify(value)).digest('base64url');
}

/**
 * The state of the jobs `shows` picks in a listing or probe of `source`
 * (the fields both carry), by full name: what an entity's viewers see move.
 */
function shownState(
  source: ListingSource,
  raw: RawJob,
  shows: (fullName: string) => boolean,
): string {
  const picked: unknown[] = [];
  forEachJob(source, raw, (job, fullName) => {
    if (shows(fullName)) picked.push([fullName, ...changeOf(job)]);
  });
  return createHash('sha1').update(JSON.stringify(picked)).digest('base64url');
}

/** Build histories by job full name, from a stats read of `source`. */
function buildsByName(
  source: ListingSource,
  raw: RawJob,
): Record<string, RawBuild[]> {
  const out: Record<string, RawBuild[]> = {};
  forEachJob(source, raw, (job, fullName) => {
    if (job.builds) out[fullName] = job.builds;
  });
  return out;
}
