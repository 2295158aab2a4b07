import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError, isError } from '@backstage/errors';
import {
  ApprovalPendingResponse,
  CatchUpChoice,
  CatchUpOperation,
  RunJobResponse,
  batchJobsJobRunPermission,
  selectCatchUpRuns,
} from '@batch-jobs/plugin-batch-jobs-common';
import { randomUUID } from 'node:crypto';
import { VpcConfig } from '../../config';
import {
  CatchUpRun,
  DatabaseCatchUpStore,
} from '../../database/DatabaseCatchUpStore';
import { IdempotencyStore } from '../../database/types';
import { ActionContext, RunJob } from '../actions/RunJob';
import { runAuditedAction } from '../actions/auditedAction';
import {
  EntityActionServices,
  authorizeOnEntity,
} from '../actions/entityAccess';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { mapParameterDefinitions } from '../jenkins/parameters';
import { MissedRuns } from './MissedRuns';

const message = (e: unknown) => (isError(e) ? e.message : String(e));
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const DONE = new Set(['finished', 'failed', 'stopped']);

/**
 * Catching up missed runs. One run: a run of the job (RunJob: authorized,
 * audited, through the approval gate) with the scheduled time in the
 * configured parameter when the job declares it. A VPC after an outage:
 * the runs chosen (all, latest or none per job) started at most
 * `concurrency` at a time (never more than the free executors when it was
 * asked), each audited, progress in the database; any replica carries a
 * catch-up on after a restart (a lease), and a run is never started twice:
 * its `starting` mark is written before Jenkins is asked, and a run found
 * `starting` after a restart is looked up in Jenkins before it is started.
 * @public
 */
export class CatchUp {
  private readonly owner = randomUUID();
  private readonly driving = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly options: EntityActionServices & {
      idempotency: IdempotencyStore;
      runJob: RunJob;
      missedRuns: MissedRuns;
      store: DatabaseCatchUpStore;
      logger: LoggerService;
    },
  ) {}

  private get parameter() {
    return this.options.missedRuns.settings.scheduledTimeParameter;
  }

  private get pollMs() {
    return this.options.missedRuns.settings.pollIntervalMs;
  }

  private client(vpc: VpcConfig): JenkinsClient {
    return this.options.clients.get(vpc.jenkins)!;
  }

  /** The values a catch-up run of `fullName` is started with. */
  private async parametersFor(
    vpc: VpcConfig,
    fullName: string,
    expected: string,
  ): Promise<Record<string, string> | null> {
    const definitions = mapParameterDefinitions(
      await this.client(vpc).getJobParameters(fullName),
    );
    if (definitions.length === 0) return null;
    return definitions.some(d => d.name === this.parameter)
      ? { [this.parameter]: expected }
      : {};
  }

  /** Runs one missed run now. */
  async one(
    input: { vpc: string; job: string; expected: string; entityRef?: string },
    context: ActionContext,
  ): Promise<RunJobResponse | ApprovalPendingResponse> {
    const { vpc, fullName } = this.options.directory.resolveJob(
      input.vpc,
      input.job,
    );
    const parameters = await this.parametersFor(vpc, fullName, input.expected);
    return this.options.runJob.run(
      {
        vpc: vpc.name,
        job: fullName,
        parameters: parameters ?? {},
        ...(input.entityRef ? { entityRef: input.entityRef } : {}),
      },
      context,
    );
  }

  /** Free executors of the VPC's batch label: the highest concurrency a catch-up gets. */
  async freeExecutors(vpc: VpcConfig): Promise<number> {
    const { computer } = await this.client(vpc).listFleetComputers();
    let free = 0;
    for (const c of computer ?? []) {
      if (!c || c.offline) continue;
      if (
        !(c.assignedLabels ?? []).some(l => l?.name === vpc.agentLabels.batch)
      )
        continue;
      free += (c.executors ?? []).filter(e => e?.idle !== false).length;
    }
    return free;
  }

  async start(
    input: {
      vpc: string;
      choice: CatchUpChoice;
      choices?: Record<string, CatchUpChoice>;
      from?: number;
      to?: number;
      concurrency?: number;
    },
    context: ActionContext,
  ): Promise<CatchUpOperation> {
    const { directory, missedRuns, store } = this.options;
    const vpc = directory.getVpc(input.vpc);
    if (vpc.requireApproval) {
      throw new InputError(
        `VPC ${vpc.name} needs a second person's approval for every run: catch its missed runs up one by one (each goes through the approval gate)`,
      );
    }
    const report = await missedRuns.report({
      vpc: vpc.name,
      from: input.from,
      to: input.to,
    });
    const selected = selectCatchUpRuns(
      report.runs,
      input.choices ?? {},
      input.choice,
    );
    if (selected.length === 0) {
      throw new InputError(
        `Nothing to catch up in VPC ${vpc.name}: no missed run was chosen between ${report.from} and ${report.to}`,
      );
    }
    // The person must be allowed to run every job it starts.
    const entityOf = new Map<string, string>();
    for (const job of new Set(selected.map(r => r.job))) {
      entityOf.set(
        job,
        await authorizeOnEntity(this.options, {
          vpc,
          fullName: job,
          credentials: context.credentials,
          permission: batchJobsJobRunPermission,
          verb: 'run jobs of',
        }),
      );
    }
    const free = await this.freeExecutors(vpc);
    // At least one, or nothing would ever start: it then waits in the queue.
    const concurrency = Math.max(1, Math.min(input.concurrency ?? free, free));
    const operation = await runAuditedAction(
      { ...this.options },
      {
        event: {
          actor: context.actor,
          action: 'missed.catch-up',
          entityRef: null,
          vpc: vpc.name,
          job: null,
          target: vpc.name,
          parameters: { choice: input.choice, choices: input.choices ?? {} },
          detail: { runs: selected.length, concurrency, freeExecutors: free },
        },
        key: undefined,
        logs: {
          succeeded: 'Catch-up started',
          failed: 'Catch-up failed',
          unrecorded: 'Could not record failed catch-up',
        },
        act: async () => {
          const created = await store.create({
            vpc: vpc.name,
            requestedBy: context.actor,
            concurrency,
            runs: selected.map(r => ({
              ...r,
              state: 'pending' as const,
              entityRef: entityOf.get(r.job),
            })),
          });
          return {
            finish: { detail: { operation: created.id } },
            response: created,
            fields: { operation: created.id },
          };
        },
      },
    );
    this.drive(operation.id);
    return publicView(operation);
  }

  async get(vpc: string, id: string): Promise<CatchUpOperation> {
    const operation = await this.options.store.get(id);
    if (operation.vpc !== vpc)
      throw new NotFoundError(`No catch-up ${id} in VPC ${vpc}`);
    return publicView(operation);
  }

  async list(vpc: string): Promise<CatchUpOperation[]> {
    this.options.directory.getVpc(vpc);
    return (await this.options.store.list(vpc)).map(publicView);
  }

  /** Stops a catch-up: runs not started yet are not started; started builds go on. */
  async stop(vpc: string, id: string, context: ActionContext) {
    const operation = await this.get(vpc, id);
    if (operation.state !== 'running') {
      throw new InputError(
        `Catch-up ${id} has already ended (${operation.state})`,
      );
    }
    // Stopping is as permitted as starting: the person must run its jobs.
    const resolved = this.options.directory.getVpc(vpc);
    for (const job of new Set(operation.runs.map(r => r.job))) {
      await authorizeOnEntity(this.options, {
        vpc: resolved,
        fullName: job,
        credentials: context.credentials,
        permission: batchJobsJobRunPermission,
        verb: 'run jobs of',
      });
    }
    const auditId = await this.options.audit.create({
      actor: context.actor,
      action: 'missed.catch-up.stop',
      entityRef: null,
      vpc,
      job: null,
      target: id,
      parameters: {},
    });
    const runs = operation.runs.map(r =>
      r.state === 'pending' ? { ...r, state: 'stopped' as const } : r,
    );
    await this.options.store.end(id, 'stopped', runs);
    await this.options.audit.finish(auditId, 'succeeded', {});
    return this.get(vpc, id);
  }

  /** Picks up catch-ups no replica holds (after a restart). */
  async resume(): Promise<void> {
    for (const id of await this.options.store.listUnheld(new Date())) {
      this.drive(id);
    }
  }

  /** Lets a running pass finish; no new ones start. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.driving.values());
  }

  private drive(id: string) {
    if (this.driving.has(id) || this.closed) return;
    const run = this.loop(id)
      .catch(error =>
        this.options.logger.warn(`Catch-up ${id} stalled: ${message(error)}`),
      )
      .finally(() => this.driving.delete(id));
    this.driving.set(id, run);
  }

  private async loop(id: string) {
    const { store } = this.options;
    const leaseMs = Math.max(3 * this.pollMs, 5000);
    while (!this.closed) {
      if (!(await store.claim(id, this.owner, leaseMs))) return;
      const operation = await store.get(id);
      if (operation.state !== 'running') return;
      const vpc = this.options.directory.getVpc(operation.vpc);
      const runs = operation.runs;
      await this.pass(vpc, operation, runs);
      if (runs.every(r => DONE.has(r.state))) {
        const failed = runs.some(r => r.state === 'failed');
        await store.end(id, failed ? 'failed' : 'succeeded', runs);
        this.options.logger.info('Catch-up ended', {
          operation: id,
          vpc: vpc.name,
        });
        return;
      }
      await sleep(this.pollMs);
    }
  }

  /** Follows started runs, then starts pending ones up to the concurrency. */
  private async pass(
    vpc: VpcConfig,
    operation: CatchUpOperation,
    runs: CatchUpRun[],
  ) {
    const { store } = this.options;
    const save = () => store.saveRuns(operation.id, this.owner, runs);
    for (const run of runs) {
      if (run.state === 'started') await this.follow(vpc, run);
      else if (run.state === 'pending' && run.phase === 'starting') {
        // A restart came between the mark and Jenkins' answer.
        await this.adopt(vpc, run);
      }
    }
    if (!(await save())) return;
    let inFlight = runs.filter(
      r => r.state === 'started' || r.phase === 'starting',
    ).length;
    for (const run of runs) {
      if (inFlight >= operation.concurrency || this.closed) break;
      if (run.state !== 'pending' || run.phase === 'starting') continue;
      run.phase = 'starting';
      if (!(await save())) return;
      inFlight++;
      try {
        await this.startRun(vpc, operation, run);
      } catch (error) {
        run.state = 'failed';
        run.error = message(error);
        delete run.phase;
      }
      if (!(await save())) return;
    }
  }

  private async startRun(
    vpc: VpcConfig,
    operation: CatchUpOperation,
    run: CatchUpRun,
  ) {
    const client = this.client(vpc);
    const parameters = await this.parametersFor(vpc, run.job, run.expected);
    await runAuditedAction(
      { ...this.options },
      {
        event: {
          actor: operation.requestedBy,
          action: 'job.run',
          entityRef: run.entityRef ?? null,
          vpc: vpc.name,
          job: run.job,
          target: run.job,
          parameters: parameters ?? {},
          detail: {
            jenkins: client.name,
            catchUp: operation.id,
            scheduledTime: run.expected,
          },
        },
        key: undefined,
        logs: {
          succeeded: 'Catch-up run queued',
          failed: 'Catch-up run failed',
          unrecorded: 'Could not record failed catch-up run',
        },
        act: async auditId => {
          run.auditId = auditId;
          const queueItemId = await client.triggerBuild(run.job, parameters);
          run.queueItemId = queueItemId;
          run.state = 'started';
          delete run.phase;
          return {
            finish: { queueItemId },
            response: undefined,
            fields: { queueItemId },
          };
        },
      },
    );
  }

  /** A run marked `starting` before a restart: Jenkins has it, or it is started now. */
  private async adopt(vpc: VpcConfig, run: CatchUpRun) {
    const client = this.client(vpc);
    const parameters = await this.parametersFor(vpc, run.job, run.expected);
    if (!parameters || !(this.parameter in parameters)) {
      // Nothing tells its build apart: rather not run it than run it twice.
      run.state = 'failed';
      run.error =
        'Interrupted while starting; not started again, as it could not be told whether Jenkins had it';
      delete run.phase;
      return;
    }
    const job = await client.listBuilds(run.job, 0, 20);
    const build = (job.allBuilds ?? []).find(b =>
      (b.actions ?? []).some(a =>
        (a?.parameters ?? []).some(
          p => p.name === this.parameter && p.value === run.expected,
        ),
      ),
    );
    const queue = (await client.listQueue()).items ?? [];
    const queued = queue.find(item =>
      (item.params ?? '').includes(`${this.parameter}=${run.expected}`),
    );
    if (build?.number !== undefined) {
      run.state = 'started';
      run.buildNumber = build.number;
    } else if (queued?.id !== undefined) {
      run.state = 'started';
      run.queueItemId = queued.id;
    } else {
      // Jenkins never got it: started again below, like any pending run.
      delete run.phase;
      return;
    }
    delete run.phase;
  }

  private async follow(vpc: VpcConfig, run: CatchUpRun) {
    const client = this.client(vpc);
    try {
      if (run.buildNumber === undefined && run.queueItemId !== undefined) {
        const item = await client.getQueueItem(run.queueItemId);
        if (item.cancelled) {
          run.state = 'stopped';
          return;
        }
        if (typeof item.executable?.number === 'number')
          run.buildNumber = item.executable.number;
      }
      if (run.buildNumber !== undefined) {
        const build = await client.getBuild(run.job, run.buildNumber);
        if (build.building === false) {
          run.state = 'finished';
          run.result = build.result ?? null;
        }
      }
    } catch (error) {
      if (error instanceof NotFoundError) {
        // Jenkins forgets a left queue item after five minutes.
        run.state = 'finished';
        run.result = null;
        return;
      }
      throw error;
    }
  }
}

/** What the API shows of an operation: no lease or audit internals. */
function publicView(
  operation: Omit<CatchUpOperation, 'runs'> & { runs: CatchUpRun[] },
): CatchUpOperation {
  return {
    ...operation,
    runs: operation.runs.map(
      ({ phase, auditId, queueItemId, entityRef, ...run }) => ({
        ...run,
        state: phase === 'starting' ? 'pending' : run.state,
      }),
    ),
  };
}
