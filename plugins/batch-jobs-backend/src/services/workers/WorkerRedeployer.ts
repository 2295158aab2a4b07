import {
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  isError,
} from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ApprovalPendingResponse,
  WorkerJobsResponse,
  WorkerRedeployJob,
  WorkerRedeployOperation,
  batchJobsWorkerRedeployPermission,
} from '@internal/plugin-batch-jobs-common';
import { VpcConfig } from '../../config';
import { OperationStore } from '../../database/DatabaseOperationStore';
import { AuditStore } from '../../database/types';
import { StopBuild } from '../actions/StopBuild';
import { ApprovalGate, ApprovedAs } from '../approvals/ApprovalGate';
import { JenkinsClient, jobPath } from '../jenkins/JenkinsClient';
import { JobDirectory, globToRegExp } from '../jenkins/JobDirectory';
import {
  isFolder,
  mapParameters,
  parameterDefinitions,
  secretParameterNames,
} from '../jenkins/mapping';
import { RawBuild, RawJob } from '../jenkins/types';
import { mapLimit } from '../jobs/mapLimit';
import { authorizeInVpc } from '../access/vpcAccess';

/** @public */
export interface RedeployContext {
  credentials: BackstageCredentials;
  /** Entity ref of the person asking. */
  actor: string;
  /** Set when a second person approved the redeploy. */
  approval?: ApprovedAs;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const CONCURRENCY = 3;

/**
 * Restarts a VPC's long-running worker jobs after a deployment: for each,
 * stop the running build and wait until it really ended (escalating like
 * the stop action), start it again with the parameters it ran with, and
 * wait until the new build started. Jobs are independent: one failing does
 * not stop the others. Progress is an operation in the database; the
 * request answers 202 at once.
 * @public
 */
export class WorkerRedeployer {
  private readonly running = new Set<Promise<void>>();

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
    },
  ) {}

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
    if (!context.approval) await this.authorize(vpc, context.credentials);

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
        actor: context.actor,
      });
    }

    const op = await operations.create({
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
    });
    logger.info('Worker redeploy started', {
      vpc: vpc.name,
      actor: context.actor,
      jobs: selected.join(','),
      operationId: op.id,
    });
    const run = this.run(op, vpc, context).finally(() =>
      this.running.delete(run),
    );
    this.running.add(run);
    return op;
  }

  async get(id: string): Promise<WorkerRedeployOperation> {
    const op = await this.options.operations.get(id);
    if (!op) throw new NotFoundError(`No operation ${id}`);
    return op;
  }

  /** Resolves when every redeploy started by this instance has finished (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.running]);
  }

  private async run(
    op: WorkerRedeployOperation,
    vpc: VpcConfig,
    context: RedeployContext,
  ): Promise<void> {
    const { operations, logger } = this.options;
    // Updates of one operation's jobs are serialized: read-modify-write rows.
    let chain: Promise<unknown> = Promise.resolve();
    const save = (job: WorkerRedeployJob) => {
      const snapshot = structuredClone(job);
      chain = chain.then(() => operations.updateJob(op.id, snapshot));
      return chain;
    };
    const results = await mapLimit(op.jobs, CONCURRENCY, job =>
      this.redeployOne(op.id, vpc, { ...job }, context, save),
    );
    await chain.catch(() => undefined);
    const failed = results.filter(r => r.state === 'failed');
    await operations
      .finish(op.id, failed.length ? 'failed' : 'succeeded')
      .catch(e => logger.error(`Could not finish operation ${op.id}: ${e}`));
    logger.info('Worker redeploy finished', {
      vpc: vpc.name,
      operationId: op.id,
      failed: failed.map(f => f.job).join(','),
    });
  }

  private async redeployOne(
    operationId: string,
    vpc: VpcConfig,
    entry: WorkerRedeployJob,
    context: RedeployContext,
    save: (job: WorkerRedeployJob) => Promise<unknown>,
  ): Promise<WorkerRedeployJob> {
    const { audit, stopBuild, logger } = this.options;
    const client = this.clientOf(vpc);
    const fullName = entry.job;
    const step = async (
      message: string,
      update: Partial<WorkerRedeployJob> = {},
    ) => {
      Object.assign(entry, update);
      entry.steps.push({ at: new Date().toISOString(), message });
      await save(entry).catch(e =>
        logger.warn(`Could not save redeploy progress: ${e}`),
      );
    };
    let auditId: string | undefined;
    try {
      auditId = await audit.create({
        actor: context.actor,
        action: 'worker.redeploy',
        entityRef: null,
        vpc: vpc.name,
        job: fullName,
        target: fullName,
        parameters: {},
        detail: {
          operationId,
          jenkins: client.name,
          ...(context.approval
            ? {
                approvalId: context.approval.approvalId,
                approvedBy: context.approval.approvedBy,
              }
            : {}),
        },
      });

      const [job, recent] = await Promise.all([
        client.getJob(fullName),
        client.listBuilds(fullName, 0, 5),
      ]);
      const builds = recent.allBuilds ?? [];
      const running = builds.find(b => b.building);
      // The parameters of the build being replaced, else of the newest one.
      const previous = running ?? builds[0];

      if (running && typeof running.number === 'number') {
        await step(`Stopping build #${running.number}`, {
          state: 'stopping',
          stoppedBuild: running.number,
        });
        const methods: Array<'stop' | 'term' | 'kill'> = [];
        const ended = await stopBuild.end(
          client,
          fullName,
          running.number,
          methods,
        );
        await step(
          `Build #${running.number} ended (${
            ended.result ?? 'no result'
          }) after ${methods.join(', ') || 'nothing: it had already ended'}`,
        );
      } else {
        await step('No build running: starting one');
      }

      const { send, shown } = this.parametersFor(vpc, job, previous);
      const parameterized = parameterDefinitions(job).length > 0;
      const queueItemId = await client.triggerBuild(
        fullName,
        parameterized ? send : null,
      );
      await step(`Queued with ${describe(shown)} (queue item ${queueItemId})`, {
        state: 'starting',
        queueItemId,
        parameters: shown,
      });

      const started = await this.waitForStart(client, queueItemId);
      await step(`Build #${started.number} started`, {
        state: 'succeeded',
        newBuild: started.number,
        newBuildUrl: started.url,
      });
      await audit.finish(auditId, 'succeeded', {
        queueItemId,
        parameters: shown,
        detail: {
          stoppedBuild: entry.stoppedBuild,
          newBuild: started.number,
        },
      });
      await audit.recordBuild(auditId, started);
      return entry;
    } catch (error) {
      const message = isError(error) ? error.message : String(error);
      await step(`Failed: ${message}`, { state: 'failed', error: message });
      if (auditId) {
        await audit
          .finish(auditId, 'failed', {
            detail: { error: message, stoppedBuild: entry.stoppedBuild },
          })
          .catch(e => logger.error(`Could not record failed redeploy: ${e}`));
      }
      logger.warn('Worker redeploy of a job failed', {
        vpc: vpc.name,
        job: fullName,
        error: message,
      });
      return entry;
    }
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
    queueItemId: number,
  ): Promise<{ number: number; url: string }> {
    const deadline = Date.now() + this.options.startTimeoutMs;
    const interval = this.options.pollIntervalMs ?? 1000;
    let why: string | null | undefined;
    for (;;) {
      const item = await client.getQueueItem(queueItemId);
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
    const pattern = globToRegExp(vpc.workerJobPattern);
    const found: RawJob[] = [];
    const visit = (items: RawJob[] | undefined) => {
      for (const item of items ?? []) {
        if (isFolder(item)) visit(item.jobs);
        else if (
          item.fullName &&
          pattern.test(item.name ?? '') &&
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
