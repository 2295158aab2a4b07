import { CacheService, LoggerService } from '@backstage/backend-plugin-api';
import { JsonValue } from '@backstage/types';
import { createHash, randomUUID } from 'node:crypto';

/** A response serialised once and served as is until it expires. */
export interface SerializedView {
  json: string;
  etag: string;
}

const GENERATION_KEY = 'batch-jobs:views:generation';
const MAX_VIEWS = 200;
// Values go into coreServices.cache as one JSON string, under keys of their
// own (a replica of an older version, which stored objects, never reads them).
// Keyv's serializer walks an object leaf by leaf and builds its string by
// concatenation, and its parser calls a reviver for every value: for a
// 1 MB listing that was most of the cost of the list's cache (CPU, and
// garbage that raised the backend's peak RSS).
const STORE_PREFIX = 'json:';

function encode(value: JsonValue): string {
  return JSON.stringify(value);
}

function decode<T>(stored: unknown): T | undefined {
  return typeof stored === 'string' ? (JSON.parse(stored) as T) : undefined;
}

/**
 * Short-lived read-through cache in front of Jenkins. Values live in
 * `coreServices.cache` (shared across replicas when it is Redis); identical
 * reads in flight in this process share one promise, so a burst of viewers
 * costs Jenkins one request.
 * @public
 */
export class ReadCache {
  private readonly inFlight = new Map<string, Promise<JsonValue>>();
  private readonly views = new Map<
    string,
    { view: SerializedView; expires: number; generation: string }
  >();
  private readonly viewsInFlight = new Map<string, Promise<SerializedView>>();

  constructor(
    private readonly cache: CacheService,
    private readonly logger: LoggerService,
  ) {}

  /**
   * The cached value of `key`, else `load()`'s (then cached for `ttlMs`).
   * `accept` may reject a cached value that is known to be stale.
   */
  async get<T extends JsonValue>(
    key: string,
    ttlMs: number,
    load: () => Promise<T>,
    options: { accept?: (cached: T) => boolean } = {},
  ): Promise<T> {
    const pending = this.inFlight.get(key);
    if (pending) return pending as Promise<T>;

    const promise = (async () => {
      if (ttlMs > 0) {
        try {
          const cached = decode<T>(await this.cache.get(STORE_PREFIX + key));
          if (
            cached !== undefined &&
            (!options.accept || options.accept(cached))
          ) {
            return cached;
          }
        } catch (error) {
          // A broken cache must not break reads.
          this.logger.warn(`Cache read failed: ${(error as Error).message}`);
        }
      }
      const value = await load();
      if (ttlMs > 0) {
        try {
          await this.cache.set(STORE_PREFIX + key, encode(value), {
            ttl: ttlMs,
          });
        } catch (error) {
          this.logger.warn(`Cache write failed: ${(error as Error).message}`);
        }
      }
      return value;
    })();
    this.inFlight.set(key, promise);
    try {
      return (await promise) as T;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /**
   * A whole response, mapped and serialised once per `ttlMs` in this
   * process: big views (an entity's job list is ~1 MB) would otherwise be
   * copied and stringified for every viewer. Any `delete` (a change we made)
   * bumps a generation in the shared cache, which drops these on every replica.
   */
  async getSerialized(
    key: string,
    ttlMs: number,
    load: () => Promise<unknown>,
  ): Promise<SerializedView> {
    if (ttlMs <= 0) return serialize(await load());
    const generation = await this.generation();
    const entry = this.views.get(key);
    if (entry && entry.generation === generation && entry.expires > Date.now())
      return entry.view;
    const flightKey = `${key}\n${generation}`;
    const pending = this.viewsInFlight.get(flightKey);
    if (pending) return pending;
    const promise = load().then(value => {
      const view = serialize(value);
      this.views.delete(key);
      if (this.views.size >= MAX_VIEWS) {
        // Oldest first: Map keeps insertion order.
        this.views.delete(this.views.keys().next().value!);
      }
      this.views.set(key, { view, generation, expires: Date.now() + ttlMs });
      return view;
    });
    this.viewsInFlight.set(flightKey, promise);
    try {
      return await promise;
    } finally {
      this.viewsInFlight.delete(flightKey);
    }
  }

  /** The cached value of `key`, if any; never loads. */
  async peek<T extends JsonValue>(key: string): Promise<T | undefined> {
    try {
      return decode<T>(await this.cache.get(STORE_PREFIX + key));
    } catch (error) {
      this.logger.warn(`Cache read failed: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Stores `value` under `key` for `ttlMs` (a poller that read it anyway). */
  async set<T extends JsonValue>(
    key: string,
    value: T,
    ttlMs: number,
  ): Promise<void> {
    try {
      await this.cache.set(STORE_PREFIX + key, encode(value), { ttl: ttlMs });
    } catch (error) {
      this.logger.warn(`Cache write failed: ${(error as Error).message}`);
    }
  }

  /**
   * Drops this process's serialised views whose key starts with `prefix`
   * (Jenkins changed under them; other replicas keep theirs for the TTL).
   */
  dropViews(prefix: string): void {
    for (const key of [...this.views.keys()])
      if (key.startsWith(prefix)) this.views.delete(key);
  }

  /** Forgets `key`, e.g. after we changed what it caches. */
  async delete(key: string): Promise<void> {
    this.views.clear();
    try {
      await this.cache.delete(STORE_PREFIX + key);
      await this.cache.set(GENERATION_KEY, randomUUID());
    } catch (error) {
      this.logger.warn(`Cache delete failed: ${(error as Error).message}`);
    }
  }

  /**
   * Changes whenever we changed something in Jenkins (any `delete`), on
   * every replica: memory that mirrors Jenkins compares it before use.
   */
  async currentGeneration(): Promise<string> {
    return this.generation();
  }

  private async generation(): Promise<string> {
    try {
      return (await this.cache.get<string>(GENERATION_KEY)) ?? '0';
    } catch (error) {
      // Without the shared generation, rely on the TTL alone.
      this.logger.warn(`Cache read failed: ${(error as Error).message}`);
      return '0';
    }
  }
}

function serialize(value: unknown): SerializedView {
  const json = JSON.stringify(value);
  const etag = `W/"${createHash('sha1').update(json).digest('base64url')}"`;
  return { json, etag };
}
