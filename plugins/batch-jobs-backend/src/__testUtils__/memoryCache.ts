/**
 * An in-memory stand-in for coreServices.cache, keyed like the memory and
 * Redis stores (ttl ignored: tests control staleness). `entries` is the store.
 */
export function memoryCache() {
  const entries = new Map<string, unknown>();
  return {
    entries,
    get: async (key: string) => entries.get(key),
    set: async (key: string, value: unknown) => {
      entries.set(key, value);
    },
    delete: async (key: string) => {
      entries.delete(key);
    },
    withOptions() {
      return this;
    },
  };
}
