import { CacheService, LoggerService } from '@backstage/backend-plugin-api';
import { JsonValue } from '@backstage/types';

/**
 * Short-lived read-through cache in front of Jenkins. Values live in
 * `coreServices.cache` (shared across replicas when it is Redis); identical
 * reads in flight in this process share one promise, so a burst of viewers
 * costs Jenkins one request.
 * @public
 */
export class ReadCache {
  private readonly inFlight = new Map<string, Promise<JsonValue>>();

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
          const cached = await this.cache.get<T>(key);
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
          await this.cache.set(key, value, { ttl: ttlMs });
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

  /** Forgets `key`, e.g. after we changed what it caches. */
  async delete(key: string): Promise<void> {
    try {
      await this.cache.delete(key);
    } catch (error) {
      this.logger.warn(`Cache delete failed: ${(error as Error).message}`);
    }
  }
}
