import {
  LifecycleService,
  SchedulerService,
  SchedulerServiceTaskFunction,
} from '@backstage/backend-plugin-api';

/**
 * The plugin's scheduler, made to let running task passes finish when the
 * backend stops and to start no new one. Backstage's scheduler stops
 * *starting* local runs on shutdown but does not wait for one in flight,
 * which then meets a closed database pool (a half-written audit row or
 * operation step at best, "Acquire connection error" at worst).
 */
export function drainOnShutdown(
  scheduler: SchedulerService,
  lifecycle: LifecycleService,
): SchedulerService {
  let stopping = false;
  const running = new Set<Promise<void>>();
  lifecycle.addShutdownHook(async () => {
    stopping = true;
    await Promise.allSettled([...running]);
  });
  const drained =
    (fn: SchedulerServiceTaskFunction): SchedulerServiceTaskFunction =>
    async signal => {
      if (stopping) return;
      const pass = Promise.resolve(fn(signal));
      running.add(pass);
      try {
        await pass;
      } finally {
        running.delete(pass);
      }
    };
  return {
    triggerTask: id => scheduler.triggerTask(id),
    cancelTask: id => scheduler.cancelTask(id),
    getScheduledTasks: () => scheduler.getScheduledTasks(),
    scheduleTask: task =>
      scheduler.scheduleTask({ ...task, fn: drained(task.fn) }),
    createScheduledTaskRunner: schedule => {
      const runner = scheduler.createScheduledTaskRunner(schedule);
      return { run: task => runner.run({ ...task, fn: drained(task.fn) }) };
    },
  };
}
