import { mockServices } from '@backstage/backend-test-utils';
import { memoryCache } from '../../__testUtils__/memoryCache';
import { ReadCache } from './ReadCache';

describe('ReadCache', () => {
  it('keeps each value as one JSON string, apart from what older versions stored', async () => {
    const backing = memoryCache();
    const cache = new ReadCache(backing as any, mockServices.logger.mock());
    const value = { jobs: [{ name: 'a', lastBuild: { number: 7 } }], n: null };
    const load = jest.fn().mockResolvedValue(value);

    expect(await cache.get('jenkins:x:listing', 10_000, load)).toEqual(value);
    expect(backing.entries.get('json:jenkins:x:listing')).toBe(
      JSON.stringify(value),
    );
    // A second read is served from the store, as a copy.
    const again = await cache.get('jenkins:x:listing', 10_000, load);
    expect(again).toEqual(value);
    expect(again).not.toBe(value);
    expect(load).toHaveBeenCalledTimes(1);
    expect(await cache.peek('jenkins:x:listing')).toEqual(value);

    // An object an older version stored under the bare key is not read.
    await backing.set('jenkins:x:old', { jobs: [] });
    expect(await cache.peek('jenkins:x:old')).toBeUndefined();

    // Something unreadable under our key is a miss, read again from Jenkins.
    backing.entries.set('json:jenkins:x:listing', '{"jobs": [');
    const reloaded = await cache.get('jenkins:x:listing', 10_000, load);
    expect(reloaded).toEqual(value);
    expect(load).toHaveBeenCalledTimes(2);

    await cache.delete('jenkins:x:listing');
    expect(backing.entries.has('json:jenkins:x:listing')).toBe(false);
  });
});
