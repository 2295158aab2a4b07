import {
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  InputError,
  NotFoundError,
  ServiceUnavailableError,
  isError,
} from '@backstage/errors';
import { randomUUID } from 'node:crypto';
import {
  ApprovalPendingResponse,
  WorkerJobsResponse,
  WorkerRedeployJob,
  WorkerRedeployOperation,
  batchJobsWorkerRedeployPermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import { VpcConfig } from '../../config';
import {
  ClaimedOperation,
  OperationStore,
  RedeployJobProgress,
} from '../../database/DatabaseOperationStore';
import { AuditStore } from '../../database/types';
import { StopBuild } from '../actions/StopBuild';
import {
  ApprovalGate,
  ApprovedAs,
  approvalDetail,
} from '../approvals/ApprovalGate';
import { checkPin, pinHash } from '../approvals/pins';
import {
  JenkinsClient,
  isQueueItemOf,
  jobPath,
} from '../jenkins/JenkinsClient';
import { JobDirectory, globMatches } from '../jenkins/JobDirectory';
import {
  isFolder,
  mapParameters,
  parameterDefinitions,
  secretParameterNames,
} from '../jenkins/mapping';
import { RawBuild, RawJob, RawQueueItem } from '../jenkins/types';
import { mapLimit } from '../jobs/mapLimit';
import { authorizeInVpc } from '../access/vpcAccess';

/** @public */
export interface RedeployContext {
  credentials: BackstageCredentials;
  /** Entity ref of the person asking. */
  actor: string;
  /**
   * Set when a second person approved the redeploy: it runs with the
   * requester's credentials (checked again) on exactly the jobs reviewed.
   */
  approval?: ApprovedAs;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const CONCURRENCY = 3;
/** Default lease of a running redeploy: how long a dead replica's one waits before another resumes it. */
export const DEFAULT_REDEPLOY_LEASE_MS = 60_000;

/** This replica must stop working on an operation (shutdown, lease lost); its progress is kept. */
class Interrupted extends Error {}

type Save = (
  job: WorkerRedeployJob,
  progress: RedeployJobProgress,
) => Promise<unknown>;

/**
 * Who approved a redeploy, for its audit row: the approval it runs under,
 * else the approver recorded on the operation, else nobody.
 */
function redeployApprovalDetail(
  op: WorkerRedeployOperation,
  approval: ApprovedAs | undefined,
) {
  if (approval) return approvalDetail(approval);
  if (op.approvedBy) return { approvedBy: op.approvedBy };
  return {};
}

/**
 * Restarts a VPC's long-running worker jobs after a deployment: for each,
 * stop the running build and wait until it really ended (escalating like
 * the stop action), start it again with the parameters it ran with, and
 * wait until the new build started. Jobs are independent: one failing does
 * not stop the others. The request answers 202 at once.
 *
 * Progress is an operation in the database, step by step, held by the
 * replica running it through a lease it renews: a replica that dies or
 * stops mid-redeploy leaves it to another (or to itself once restarted),
 * which rolls it forward from the recorded step. One running redeploy per
 * VPC, enforced by the database.
 * @public
 */
export class WorkerRedeployer {
  private readonly running = new Set<Promise<void>>();
  /** Operations this instance runs now. */
  private readonly active = new Set<string>();
  private readonly owner: string;
  private readonly leaseMs: number;
  private stopping = false;

  constructor(
    private readonly options: {
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
      audit: AuditStore;
      operations: OperationStore;
      permissions: PermissionsService;
      stopBuild: StopBuild;
      logger: LoggerService;
      /** How long a new build may take to leave the queue. */
      startTimeoutMs: number;
      pollIntervalMs?: number;
      gate?: ApprovalGate;
      /** This replica, as lease owner; a random id by default. */
      owner?: string;
      /** How long a running redeploy stays with its replica without a heartbeat. */
      leaseMs?: number;
    },
  ) {
    this.owner = options.owner ?? randomUUID();
    this.leaseMs = options.leaseMs ?? DEFAULT_REDEPLOY_LEASE_MS;
  }

  /** The worker jobs of a VPC and their running builds. */
  async listWorkers(vpcName: string): Promise<WorkerJobsResponse> {
    const vpc = this.options.directory.getVpc(vpcName);
    const client = this.clientOf(vpc);
    const jobs = await this.workerJobs(vpc);
    const withBuilds = await mapLimit(jobs, CONCURRENCY, async job => {
      const running = await this.runningBuild(client, job.fullName!);
      return {
        fullName: job.fullName!,
        runningBuild: running?.number ?? null,
        url: `${client.baseUrl}${jobPath(job.fullName!)}/`,
      };
    });
    return {
      vpc: vpc.name,
      pattern: vpc.workerJobPattern,
      jobs: withBuilds,
      requireApproval: vpc.requireApproval,
    };
  }

  async redeploy(
    vpcName: string,
    request: { jobs?: string[] },
    context: RedeployContext,
  ): Promise<WorkerRedeployOperation | ApprovalPendingResponse> {
    const { directory, operations, gate, logger } = this.options;
    const vpc = directory.getVpc(vpcName);
    // Also when approved: the requester's permission may have gone since.
    await this.authorize(vpc, context.credentials);

    const workers = (await this.workerJobs(vpc)).map(j => j.fullName!);
    let selected = workers;
    if (request.jobs && request.jobs.length > 0) {
      const unknown = request.jobs.filter(j => !workers.includes(j));
      if (unknown.length) {
        throw new InputError(
          `Not worker jobs of ${vpc.name} (pattern '${
            vpc.workerJobPattern
          }'): ${unknown.join(', ')}`,
        );
      }
      selected = [...new Set(request.jobs)];
    }
    if (selected.length === 0) {
      throw new InputError(
        `VPC ${vpc.name} has no worker jobs matching '${vpc.workerJobPattern}' (batchJobs.vpcs[].workerJobPattern)`,
      );
    }

    const hash = pinHash({ vpc: vpc.name, jobs: selected });
    if (context.approval) {
      checkPin(context.approval.review?.hash, hash, 'the set of worker jobs');
    }
    if (!context.approval && gate?.requires(vpc)) {
      return gate.hold({
        action: 'workers.redeploy',
        vpc,
        target: `${vpc.name}/workers`,
        summary: `Redeploy ${selected.length} worker job${
          selected.length > 1 ? 's' : ''
        } in ${vpc.name}: ${selected.join(', ')}`,
        entityRef: null,
        payload: { vpc: vpc.name, jobs: selected },
        review: { hash, hashOf: 'the worker jobs to restart' },
        actor: context.actor,
      });
    }

    if (this.stopping) {
      throw new ServiceUnavailableError(
        'The backend is stopping: ask again in a moment (another replica or the restarted backend takes it)',
      );
    }
    // One running redeploy per VPC: the store refuses a second (409 naming it).
    const op = await operations.create(
      {
        vpc: vpc.name,
        actor: context.actor,
        approvedBy: context.approval?.approvedBy ?? null,
        jobs: selected.map(job => ({
          job,
          state: 'pending',
          stoppedBuild: null,
          newBuild: null,
          newBuildUrl: null,
          queueItemId: null,
          parameters: {},
          steps: [],
          error: null,
        })),
      },
      { owner: this.owner, ttlMs: this.leaseMs },
    );
    logger.info('Worker redeploy started', {
      vpc: vpc.name,
      actor: context.actor,
      jobs: selected.join(','),
      operationId: op.id,
    });
    const claimed = await operations.claimed(op.id);
    if (claimed) this.start(claimed, context.approval);
    return op;
  }

  async get(id: string): Promise<WorkerRedeployOperation> {
    const op = await this.options.operations.get(id);
    if (!op) throw new NotFoundError(`No operation ${id}`);
    return op;
  }

  /**
   * Resumes running redeploys no replica holds any more (one that died or
   * stopped mid-redeploy): the scheduled task of every replica calls this;
   * the lease decides which one takes each.
   */
  async resumeAbandoned(): Promise<void> {
    if (this.stopping) return;
    const { operations, logger } = this.options;
    const claimed = await operations.claimAbandoned(this.owner, this.leaseMs);
    for (const c of claimed) {
      if (this.active.has(c.operation.id)) continue;
      logger.info('Worker redeploy resumed', {
        vpc: c.operation.vpc,
        operationId: c.operation.id,
      });
      this.start(c);
    }
  }

  /** Resolves when every redeploy this instance runs has finished or paused (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.running]);
  }

  /**
   * Shutdown: starts nothing more; each running redeploy finishes the step
   * it is in, records it and hands the operation back, so the next backend
   * (or the other replica) resumes it at once instead of after the lease.
   */
  async drain(): Promise<void> {
    this.stopping = true;
    await this.settled();
  }

  private start(claimed: ClaimedOperation, approval?: ApprovedAs) {
    const id = claimed.operation.id;
    this.active.add(id);
    const run = this.run(claimed, approval)
      .catch(error =>
        this.options.logger.error(
          `Worker redeploy ${id} stopped: ${
            isError(error) ? error.message : error
          }`,
        ),
      )
      .finally(() => {
        this.running.delete(run);
        this.active.delete(id);
      });
    this.running.add(run);
  }

  private async run(
    claimed: ClaimedOperation,
    approval: ApprovedAs | undefined,
  ): Promise<void> {
    const { operations, logger } = this.options;
    const { operation: op, lease } = claimed;
    let lost = false;
    const checkpoint = () => {
      if (lost)
        throw new Interrupted('another replica took the operation over');
      if (this.stopping) throw new Interrupted('the backend is stopping');
    };
    // The lease lives while this replica works: a replica that dies stops
    // renewing it and another takes the operation over once it expired.
    const heartbeat = setInterval(() => {
      operations
        .heartbeat(op.id, lease, this.leaseMs)
        .then(held => {
          if (!held) lost = true;
        })
        .catch(e => logger.warn(`Could not renew the lease of ${op.id}: ${e}`));
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    // Updates of one operation's jobs are serialized: read-modify-write rows.
    let chain: Promise<unknown> = Promise.resolve();
    const save: Save = (job, progress) => {
      const snapshot = structuredClone(job);
      const saved = structuredClone(progress);
      const next = chain.then(() =>
        operations.updateJob(op.id, snapshot, saved),
      );
      chain = next.catch(() => undefined);
      return next;
    };
    try {
      let vpc: VpcConfig;
      try {
        vpc = this.options.directory.getVpc(op.vpc);
      } catch (error) {
        // The VPC left the configuration since: nothing to act on.
        await operations.finish(op.id, 'failed');
        throw error;
      }
      const results = await mapLimit(op.jobs, CONCURRENCY, job =>
        this.redeployOne(
          op,
          vpc,
          structuredClone(job),
          { ...claimed.progress[job.job] },
          approval,
          save,
          checkpoint,
        ),
      );
      await chain;
      if (results.some(r => r.interrupted)) {
        if (!lost) await operations.release(op.id, lease);
        logger.info('Worker redeploy handed over', {
          vpc: op.vpc,
          operationId: op.id,
          why: lost ? 'lease lost' : 'shutdown',
        });
        return;
      }
      const failed = results.filter(r => r.entry.state === 'failed');
      await operations
        .finish(op.id, failed.length ? 'failed' : 'succeeded')
        .catch(e => logger.error(`Could not finish operation ${op.id}: ${e}`));
      logger.info('Worker redeploy finished', {
        vpc: op.vpc,
        operationId: op.id,
        failed: failed.map(f => f.entry.job).join(','),
      });
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * One job, from whatever state its record is in (a restart resumes it
   * there): pending → stopping (parameters and stopped build recorded
   * before the stop) → starting (queue item recorded) → succeeded. Rolling
   * forward: a worker already running again is left alone.
   */
  private async redeployOne(
    op: WorkerRedeployOperation,
    vpc: VpcConfig,
    entry: WorkerRedeployJob,
    progress: RedeployJobProgress,
    approval: ApprovedAs | undefined,
    save: Save,
    checkpoint: () => void,
  ): Promise<{ entry: WorkerRedeployJob; interrupted?: boolean }> {
    if (entry.state === 'succeeded' || entry.state === 'failed') {
      return { entry };
    }
    const { audit, stopBuild, logger } = this.options;
    const client = this.clientOf(vpc);
    const fullName = entry.job;
    /** Recorded before acting: fails the job when it cannot be written. */
    const record = async (
      message: string,
      update: Partial<WorkerRedeployJob> = {},
    ) => {
      Object.assign(entry, update);
      entry.steps.push({ at: new Date().toISOString(), message });
      await save(entry, progress);
    };
    /** Recorded after acting: a lost write is re-derived from Jenkins on resume. */
    const step = (message: string, update: Partial<WorkerRedeployJob> = {}) =>
      record(message, update).catch(e =>
        logger.warn(`Could not save redeploy progress: ${e}`),
      );
    const resumed = entry.state !== 'pending';
    try {
      checkpoint();
      if (!progress.auditId) {
        progress.auditId = await audit.create({
          actor: op.actor,
          action: 'worker.redeploy',
          entityRef: null,
          vpc: vpc.name,
          job: fullName,
          target: fullName,
          parameters: {},
          detail: {
            operationId: op.id,
            jenkins: client.name,
            ...redeployApprovalDetail(op, approval),
          },
        });
        await save(entry, progress);
      }

      if (entry.state === 'pending') {
        const [job, recent] = await Promise.all([
          client.getJob(fullName),
          client.listBuilds(fullName, 0, 5),
        ]);
        const builds = recent.allBuilds ?? [];
        const running = builds.find(b => b.building);
        // The parameters of the build being replaced, else of the newest one.
        const { send, shown } = this.parametersFor(
          vpc,
          job,
          running ?? builds[0],
        );
        progress.send = send;
        checkpoint();
        await record(
          running && typeof running.number === 'number'
            ? `Stopping build #${running.number}`
            : 'No build running: starting one',
          {
            state: 'stopping',
            stoppedBuild: running?.number ?? null,
            parameters: shown,
          },
        );
      } else {
        await step(`Resumed after a restart (was ${entry.state})`);
      }

      if (entry.state === 'stopping') {
        if (entry.stoppedBuild !== null) {
          const methods: Array<'stop' | 'term' | 'kill'> = [];
          const ended = await stopBuild.end(
            client,
            fullName,
            entry.stoppedBuild,
            methods,
          );
          await step(
            `Build #${entry.stoppedBuild} ended (${
              ended.result ?? 'no result'
            }) after ${methods.join(', ') || 'nothing: it had already ended'}`,
          );
        }
        checkpoint();
        // Started by someone else, or by this redeploy just before a restart.
        const again = await this.runningAgain(
          client,
          fullName,
          entry.stoppedBuild,
        );
        if (again?.build) {
          return {
            entry: await this.succeed(
              entry,
              progress,
              again.build,
              step,
              'already running again: left alone',
            ),
          };
        }
        if (again?.queueItemId !== undefined) {
          await step(
            `Already queued again (queue item ${again.queueItemId}): left alone`,
            { state: 'starting', queueItemId: again.queueItemId },
          );
        } else {
          const job = await client.getJob(fullName);
          if (!progress.send) {
            // A redeploy recorded before progress was kept: the stopped build's parameters.
            const recent = await client.listBuilds(fullName, 0, 5);
            const builds = recent.allBuilds ?? [];
            const stopped =
              builds.find(b => b.number === entry.stoppedBuild) ?? builds[0];
            const { send, shown } = this.parametersFor(vpc, job, stopped);
            progress.send = send;
            entry.parameters = shown;
          }
          const parameterized = parameterDefinitions(job).length > 0;
          checkpoint();
          const queueItemId = await client.triggerBuild(
            fullName,
            parameterized ? progress.send : null,
          );
          await step(
            `Queued with ${describe(
              entry.parameters,
            )} (queue item ${queueItemId})`,
            { state: 'starting', queueItemId },
          );
        }
      }

      const started = await this.waitForStart(
        client,
        fullName,
        entry.queueItemId!,
        checkpoint,
      );
      return {
        entry: await this.succeed(
          entry,
          progress,
          started,
          step,
          resumed ? 'after a restart' : undefined,
        ),
      };
    } catch (error) {
      if (error instanceof Interrupted) {
        await step(`Paused: ${error.message}; it resumes from here`);
        return { entry, interrupted: true };
      }
      const message = isError(error) ? error.message : String(error);
      await step(`Failed: ${message}`, { state: 'failed', error: message });
      if (progress.auditId) {
        await audit
          .finish(progress.auditId, 'failed', {
            detail: { error: message, stoppedBuild: entry.stoppedBuild },
          })
          .catch(e => logger.error(`Could not record failed redeploy: ${e}`));
      }
      logger.warn('Worker redeploy of a job failed', {
        vpc: vpc.name,
        job: fullName,
        error: message,
      });
      return { entry };
    }
  }

  private async succeed(
    entry: WorkerRedeployJob,
    progress: RedeployJobProgress,
    started: { number: number; url: string },
    step: (
      message: string,
      update?: Partial<WorkerRedeployJob>,
    ) => Promise<unknown>,
    note?: string,
  ): Promise<WorkerRedeployJob> {
    const { audit } = this.options;
    await step(`Build #${started.number} started${note ? ` (${note})` : ''}`, {
      state: 'succeeded',
      newBuild: started.number,
      newBuildUrl: started.url,
    });
    await audit.finish(progress.auditId!, 'succeeded', {
      queueItemId: entry.queueItemId ?? undefined,
      parameters: entry.parameters,
      detail: {
        stoppedBuild: entry.stoppedBuild,
        newBuild: started.number,
        ...(note ? { note } : {}),
      },
    });
    await audit.recordBuild(progress.auditId!, started);
    return entry;
  }

  /** A build of the job newer than the stopped one that runs, or an item of it in the queue. */
  private async runningAgain(
    client: JenkinsClient,
    fullName: string,
    stoppedBuild: number | null,
  ): Promise<
    | { build: { number: number; url: string }; queueItemId?: undefined }
    | { build?: undefined; queueItemId: number }
    | undefined
  > {
    const recent = await client.listBuilds(fullName, 0, 5);
    const build = (recent.allBuilds ?? []).find(
      b =>
        b.building &&
        typeof b.number === 'number' &&
        (stoppedBuild === null || b.number > stoppedBuild),
    );
    if (build)
      return { build: { number: build.number!, url: build.url ?? '' } };
    const queue = await client.listQueue();
    const item = (queue.items ?? []).find(i => isQueueItemOf(i, fullName));
    return typeof item?.id === 'number' ? { queueItemId: item.id } : undefined;
  }

  /**
   * The previous build's parameters (secrets left to the job's default,
   * Jenkins never exports them), with ENV=<vpc> when the job has ENV and
   * the previous build did not say.
   */
  private parametersFor(
    vpc: VpcConfig,
    job: RawJob,
    previous: RawBuild | undefined,
  ): { send: Record<string, string>; shown: Record<string, string | null> } {
    const send: Record<string, string> = {};
    const shown: Record<string, string | null> = {};
    const secrets = secretParameterNames(job);
    for (const p of previous ? mapParameters(previous, secrets) : []) {
      if (p.secret) shown[p.name] = null;
      else if (p.value !== null) {
        send[p.name] = String(p.value);
        shown[p.name] = String(p.value);
      }
    }
    const hasEnv = parameterDefinitions(job).some(d => d.name === 'ENV');
    if (hasEnv && send.ENV === undefined) {
      send.ENV = vpc.name;
      shown.ENV = vpc.name;
    }
    return { send, shown };
  }

  private async waitForStart(
    client: JenkinsClient,
    fullName: string,
    queueItemId: number,
    checkpoint: () => void,
  ): Promise<{ number: number; url: string }> {
    const deadline = Date.now() + this.options.startTimeoutMs;
    const interval = this.options.pollIntervalMs ?? 1000;
    let why: string | null | undefined;
    for (;;) {
      let item: RawQueueItem;
      try {
        item = await client.getQueueItem(queueItemId);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        // Jenkins forgets left items after a while (a long restart): the build tells.
        const recent = await client.listBuilds(fullName, 0, 10);
        const build = (recent.allBuilds ?? []).find(
          b => b.queueId === queueItemId,
        );
        if (build && typeof build.number === 'number') {
          return { number: build.number, url: build.url ?? '' };
        }
        throw new Error(
          `Queue item ${queueItemId} is gone from Jenkins and no build of ${fullName} came from it`,
        );
      }
      if (typeof item.executable?.number === 'number') {
        return {
          number: item.executable.number,
          url: item.executable.url ?? '',
        };
      }
      if (item.cancelled) {
        throw new Error(`Queue item ${queueItemId} was cancelled in Jenkins`);
      }
      why = item.why;
      if (Date.now() >= deadline) {
        throw new Error(
          `The new build did not start within ${Math.round(
            this.options.startTimeoutMs / 1000,
          )} s${why ? `: ${why}` : ''}`,
        );
      }
      checkpoint();
      await sleep(interval);
    }
  }

  private async runningBuild(
    client: JenkinsClient,
    fullName: string,
  ): Promise<RawBuild | undefined> {
    const recent = await client.listBuilds(fullName, 0, 5);
    return (recent.allBuilds ?? []).find(b => b.building);
  }

  /** Every job of the VPC (three folder levels deep) whose short name matches the worker pattern. */
  private async workerJobs(vpc: VpcConfig): Promise<RawJob[]> {
    const tree = await this.clientOf(vpc).listVpcTree(vpc.folder);
    const found: RawJob[] = [];
    const visit = (items: RawJob[] | undefined) => {
      for (const item of items ?? []) {
        if (isFolder(item)) visit(item.jobs);
        else if (
          item.fullName &&
          globMatches(vpc.workerJobPattern, item.name ?? '') &&
          this.options.directory.isInVpc(vpc, item.fullName)
        ) {
          found.push(item);
        }
      }
    };
    visit(tree.jobs);
    return found.sort((a, b) => a.fullName!.localeCompare(b.fullName!));
  }

  private clientOf(vpc: VpcConfig): JenkinsClient {
    return this.options.clients.get(vpc.jenkins)!;
  }

  private async authorize(vpc: VpcConfig, credentials: BackstageCredentials) {
    await authorizeInVpc(
      this.options.permissions,
      batchJobsWorkerRedeployPermission,
      vpc,
      credentials,
      'redeploy workers',
    );
  }
}

function describe(params: Record<string, string | null>): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return 'no parameters';
  return entries
    .map(([k, v]) => `${k}=${v === null ? '(default secret)' : v}`)
    .join(', ');
}
