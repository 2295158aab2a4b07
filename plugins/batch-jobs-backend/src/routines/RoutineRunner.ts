import { randomUUID } from 'node:crypto';
import {
  BackstageCredentials,
  LoggerService,
  PermissionsService,
  SchedulerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
  isError,
} from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { durationToMilliseconds } from '@backstage/types';
import {
  ApprovalPendingResponse,
  ROUTINE_IDS,
  RoutineId,
  RoutineRun,
  RoutineRunItem,
  RoutineSummary,
  RoutineTrigger,
  batchJobsRoutineRunPermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import { RoutineRunStore } from '../database/DatabaseRoutineStore';
import { AuditStore } from '../database/types';
import { expectedNextRun } from './nextRun';
import {
  ApprovalGate,
  ApprovedAs,
  approvalDetail,
} from '../services/approvals/ApprovalGate';
import { checkPin, pinHash } from '../services/approvals/pins';
import { RoutineCommonConfig } from './routinesConfig';

/** What a routine gets for one run. @public */
export interface RoutineContext {
  runId: string;
  dryRun: boolean;
  /** Entity ref written to the audit trail for what the run does. */
  actor: string;
  signal: AbortSignal;
  /** Adds items to the run's history as they happen (the UI follows them). */
  report(items: Array<Omit<RoutineRunItem, 'at'>>): Promise<void>;
}

/**
 * One routine. `run` returns a one-line summary; throwing fails the run
 * (loudly: error log, outcome failed, the message as summary).
 * @public
 */
export interface Routine {
  id: RoutineId;
  title: string;
  description: string;
  settings(): Record<string, string | number | boolean | null>;
  run(context: RoutineContext): Promise<string>;
}

/** Scheduler task id of a routine. @public */
export const routineTaskId = (id: RoutineId) => `batch-jobs-routine-${id}`;

function describeSchedule(s: SchedulerServiceTaskScheduleDefinition): string {
  const f = s.frequency as any;
  if (f && typeof f === 'object' && 'cron' in f) return `cron ${f.cron}`;
  if (f && typeof f === 'object' && 'trigger' in f) return 'manual only';
  const ms = durationToMilliseconds(f);
  if (ms % 86_400_000 === 0) return `every ${ms / 86_400_000} day(s)`;
  if (ms % 3_600_000 === 0) return `every ${ms / 3_600_000} hour(s)`;
  if (ms % 60_000 === 0) return `every ${ms / 60_000} minute(s)`;
  return `every ${ms / 1000} second(s)`;
}

/**
 * Runs routines: from the scheduler (global scope: one replica per tick) or
 * from "run now", at most one run per routine at a time across replicas
 * (a lock row that expires with the routine's timeout, so a replica that
 * died mid-run blocks nothing), every run and its items recorded.
 * @public
 */
export class RoutineRunner {
  private readonly routines = new Map<RoutineId, Routine>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  /** When the routines were handed to the scheduler (their first run counts from it). */
  private scheduledAt?: Date;
  private readonly now: () => Date;

  constructor(
    private readonly options: {
      runs: RoutineRunStore;
      permissions: PermissionsService;
      logger: LoggerService;
      configs: Record<RoutineId, RoutineCommonConfig>;
      /** The clock (tests). */
      now?: () => Date;
      /**
       * The four-eyes gate: routines act across VPCs, so a real (not dry)
       * "run now" is held when any VPC in `vpcs` requires approval.
       */
      gate?: ApprovalGate;
      vpcs?: Array<{ name: string; requireApproval: boolean }>;
      /** Where an approved run now is recorded (the approver beside the requester). */
      audit?: AuditStore;
    },
  ) {
    this.now = options.now ?? (() => new Date());
  }

  register(routine: Routine) {
    this.routines.set(routine.id, routine);
  }

  /** Schedules every enabled routine with the scheduler. */
  async schedule(scheduler: SchedulerService) {
    this.scheduledAt = this.now();
    for (const routine of this.routines.values()) {
      const config = this.options.configs[routine.id];
      if (!config.enabled) continue;
      await scheduler.scheduleTask({
        id: routineTaskId(routine.id),
        ...config.schedule,
        scope: 'global',
        fn: async (signal?: AbortSignal) => {
          await this.runScheduled(routine.id, signal);
        },
      });
    }
  }

  private get(id: string): Routine {
    const routine = this.routines.get(id as RoutineId);
    if (!routine) {
      throw new NotFoundError(
        `No routine '${id}' (known: ${[...this.routines.keys()].join(', ')})`,
      );
    }
    return routine;
  }

  /** A scheduled tick: skipped (and logged) while a run of the routine is still going. */
  async runScheduled(
    id: RoutineId,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const config = this.options.configs[id];
    const started = await this.begin(id, {
      trigger: 'schedule',
      actor: `routine:${id}`,
      dryRun: config.dryRun,
    });
    if (!started.started) {
      this.options.logger.info(
        `Routine ${id}: skipped, run ${started.heldBy} still in progress`,
      );
      return undefined;
    }
    await this.execute(
      id,
      started.runId,
      config.dryRun,
      `routine:${id}`,
      signal,
    );
    return started.runId;
  }

  /**
   * "Run now": authorized, then started in the background; 409 while a run
   * is going. A real run is held for a second person when a VPC requires
   * approval; once approved, the requester executes it (authorized again).
   */
  async runNow(
    id: string,
    request: { dryRun: boolean },
    context: {
      credentials: BackstageCredentials;
      actor: string;
      approval?: ApprovedAs;
    },
  ): Promise<{ runId: string } | ApprovalPendingResponse> {
    const routine = this.get(id);
    const [decision] = await this.options.permissions.authorize(
      [{ permission: batchJobsRoutineRunPermission }],
      { credentials: context.credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You are not allowed to run routines (${batchJobsRoutineRunPermission.name})`,
      );
    }
    // Switched off in config means not acting, by hand either; a dry run
    // changes nothing and is how one checks a routine before enabling it.
    if (!this.options.configs[routine.id].enabled && !request.dryRun) {
      throw new ConflictError(
        `Routine ${routine.id} is disabled (batchJobs.routines.${routine.id}.enabled: false): only a dry run is allowed; enable it in config to run it for real`,
      );
    }
    if (this.stopping) {
      throw new ServiceUnavailableError(
        `The backend is stopping: run ${routine.id} again in a moment`,
      );
    }
    const { gate, audit } = this.options;
    const gated = (this.options.vpcs ?? []).filter(v => gate?.requires(v));
    const hash = pinHash({
      routine: routine.id,
      dryRun: request.dryRun,
      settings: routine.settings(),
    });
    if (context.approval) {
      checkPin(
        context.approval.review?.hash,
        hash,
        `the settings of ${routine.id}`,
      );
    } else if (!request.dryRun && gated.length > 0) {
      return gate!.hold({
        action: 'routine.run',
        // The approvers of the first VPC that needs them; the routine acts on all.
        vpc: gated[0],
        target: `routine:${routine.id}`,
        summary: `Run routine ${routine.title} now (not a dry run) across ${(
          this.options.vpcs ?? []
        )
          .map(v => v.name)
          .join(', ')}`,
        entityRef: null,
        payload: { routine: routine.id, dryRun: false },
        review: { hash, hashOf: `the routine and its settings` },
        actor: context.actor,
      });
    }
    const started = await this.begin(routine.id, {
      trigger: 'user',
      actor: context.actor,
      dryRun: request.dryRun,
    });
    if (!started.started) {
      throw new ConflictError(
        `Routine ${routine.id} is already running (run ${started.heldBy}); try again when it ends`,
      );
    }
    if (context.approval && audit) {
      // The run's own items are in its history; this row names the approver.
      const auditId = await audit.create({
        actor: context.actor,
        action: 'routine.run',
        entityRef: null,
        vpc: gated[0]?.name ?? null,
        job: null,
        target: `routine:${routine.id}`,
        parameters: { dryRun: request.dryRun },
        detail: { runId: started.runId, ...approvalDetail(context.approval) },
      });
      await audit.finish(auditId, 'succeeded', {});
    }
    const done = this.execute(
      routine.id,
      started.runId,
      request.dryRun,
      context.actor,
    )
      .catch(() => undefined)
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
    return { runId: started.runId };
  }

  /** Waits for background runs (tests, shutdown). */
  async settle() {
    await Promise.all([...this.inFlight]);
  }

  /** Shutdown: no new "run now"; the runs it started finish first, like scheduled ones. */
  async drain() {
    this.stopping = true;
    await this.settle();
  }

  private async begin(
    id: RoutineId,
    run: { trigger: RoutineTrigger; actor: string; dryRun: boolean },
  ): Promise<
    { started: true; runId: string } | { started: false; heldBy: string }
  > {
    const runId = randomUUID();
    const ttl = durationToMilliseconds(
      this.options.configs[id].schedule.timeout as any,
    );
    const result = await this.options.runs.start(
      { id: runId, routine: id, ...run },
      ttl,
    );
    return result.started ? { started: true, runId } : result;
  }

  private async execute(
    id: RoutineId,
    runId: string,
    dryRun: boolean,
    actor: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const { runs, logger } = this.options;
    const routine = this.get(id);
    const log = logger.child({ routine: id, runId, dryRun });
    const context: RoutineContext = {
      runId,
      dryRun,
      actor,
      signal: signal ?? new AbortController().signal,
      report: async items => {
        const at = new Date().toISOString();
        await runs.appendItems(
          runId,
          items.map(i => ({ ...i, at })),
        );
      },
    };
    log.info(`Routine ${id} started${dryRun ? ' (dry run)' : ''}`);
    try {
      const summary = await routine.run(context);
      await runs.finish(runId, 'succeeded', summary);
      log.info(`Routine ${id} succeeded: ${summary}`);
    } catch (error) {
      const message = isError(error) ? error.message : String(error);
      // Loud on purpose: a failed routine (a missing backup) must be noticed.
      log.error(`Routine ${id} FAILED: ${message}`);
      await runs
        .finish(runId, 'failed', message)
        .catch(e => log.error(`Could not record the failed run: ${e}`));
    }
  }

  async getRun(runId: string): Promise<RoutineRun> {
    const run = await this.options.runs.get(runId);
    if (!run) throw new NotFoundError(`No routine run ${runId}`);
    return run;
  }

  async listRuns(id: string, limit: number): Promise<RoutineRun[]> {
    const routine = this.get(id);
    return this.options.runs.list(routine.id, { limit, withItems: true });
  }

  async list(): Promise<RoutineSummary[]> {
    const now = this.now();
    const out: RoutineSummary[] = [];
    for (const id of ROUTINE_IDS) {
      const routine = this.routines.get(id);
      if (!routine) continue;
      const config = this.options.configs[id];
      const recent = await this.options.runs.list(id, {
        limit: 20,
        withItems: true,
      });
      const lastRun = recent[0];
      const lastScheduled = recent.find(r => r.trigger === 'schedule');
      out.push({
        id,
        title: routine.title,
        description: routine.description,
        enabled: config.enabled,
        schedule: config.enabled
          ? describeSchedule(config.schedule)
          : 'disabled',
        nextRunAt: config.enabled
          ? expectedNextRun(config.schedule, {
              lastScheduledStart: lastScheduled
                ? new Date(lastScheduled.startedAt)
                : undefined,
              scheduledAt: this.scheduledAt ?? now,
              now,
            })?.toISOString() ?? null
          : null,
        dryRunByDefault: config.dryRun,
        lastRun: lastRun ?? null,
        settings: routine.settings(),
      });
    }
    return out;
  }
}
