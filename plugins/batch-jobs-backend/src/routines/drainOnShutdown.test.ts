import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { startTestBackend } from '@backstage/backend-test-utils';
import { drainOnShutdown } from './drainOnShutdown';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>(r => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A backend whose one local task records its passes and waits on `release` once started. */
async function backendWithTask(options: { drain: boolean }) {
  const events: string[] = [];
  const started = deferred();
  const release = deferred();
  let passes = 0;
  const plugin = createBackendPlugin({
    pluginId: 'drain-test',
    register(env) {
      env.registerInit({
        deps: {
          scheduler: coreServices.scheduler,
          lifecycle: coreServices.lifecycle,
        },
        async init({ scheduler, lifecycle }) {
          const tasks = options.drain
            ? drainOnShutdown(scheduler, lifecycle)
            : scheduler;
          await tasks.scheduleTask({
            id: 'slow-pass',
            frequency: { milliseconds: 50 },
            timeout: { minutes: 1 },
            initialDelay: { milliseconds: 0 },
            scope: 'local',
            fn: async () => {
              passes++;
              events.push(`pass ${passes} started`);
              started.resolve();
              await release.promise;
              events.push(`pass ${passes} finished`);
            },
          });
        },
      });
    },
  });
  const backend = await startTestBackend({
    features: [plugin, schedulerServiceFactory],
  });
  return { backend, events, started, release, passes: () => passes };
}

describe('drainOnShutdown', () => {
  it('lets a pass in flight finish before the backend has stopped, and starts no new one', async () => {
    const { backend, events, started, release, passes } = await backendWithTask(
      { drain: true },
    );
    await started.promise;

    const stopped = backend.stop().then(() => events.push('backend stopped'));
    await new Promise(r => setTimeout(r, 200));
    expect(events).toEqual(['pass 1 started']); // stop is waiting on the pass

    release.resolve();
    await stopped;
    expect(events).toEqual([
      'pass 1 started',
      'pass 1 finished',
      'backend stopped',
    ]);
    await new Promise(r => setTimeout(r, 200));
    expect(passes()).toBe(1);
  });

  it("is needed: Backstage's scheduler alone stops without waiting for the pass", async () => {
    const { backend, events, started, release } = await backendWithTask({
      drain: false,
    });
    await started.promise;
    await backend.stop();
    events.push('backend stopped');
    release.resolve();
    await new Promise(r => setTimeout(r, 50));
    expect(events.indexOf('backend stopped')).toBeLessThan(
      events.indexOf('pass 1 finished'),
    );
  });
});
