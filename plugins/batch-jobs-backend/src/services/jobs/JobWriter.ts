import {
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  isError,
} from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import {
  BatchJobWriteResult,
  CreateBatchJobsRequest,
  CreateBatchJobsResponse,
  JobComparisonResponse,
  JobDefinition,
  PromoteJobRequest,
  PromoteJobResponse,
  batchJobsJobCreatePermission,
  batchJobsJobPromotePermission,
  renderBatchJobConfigXml,
  validateBatchJobSpec,
} from '@internal/plugin-batch-jobs-common';
import { VpcConfig } from '../../config';
import { AuditStore } from '../../database/types';
import { ancestorFolders } from '../actions/entityAccess';
import { JenkinsClient, jobPath } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import { ReadCache } from './ReadCache';
import { JobConfigs } from '../schedules/JobConfigs';
import {
  diffDefinitions,
  parseJobDefinition,
  translateConfigXml,
} from './jobDefinition';
import { authorizeInVpc } from '../access/vpcAccess';

/** Who acts: the caller's credentials and entity ref. @public */
export interface JobWriterContext {
  credentials: BackstageCredentials;
  actor: string;
  /** Set when a second person approved a held promotion: it runs without asking again. */
  approval?: { approvalId: string; approvedBy: string };
}

/**
 * The four-eyes gate as the writer uses it (the backend's ApprovalGate):
 * a promotion into a VPC that requires approval is held, not applied.
 * @public
 */
export interface PromotionGate {
  requires(vpc: VpcConfig): boolean;
  hold(request: {
    action: string;
    vpc: VpcConfig;
    job?: string | null;
    target: string;
    summary: string;
    entityRef: string | null;
    payload: Record<string, unknown>;
    actor: string;
  }): Promise<unknown>;
}

const FOLDER_XML = `<?xml version='1.1' encoding='UTF-8'?>
<com.cloudbees.hudson.plugins.folder.Folder plugin="cloudbees-folder">
  <description>Created by the Batch Jobs portal</description>
  <properties/>
</com.cloudbees.hudson.plugins.folder.Folder>
`;

/**
 * Creates, reconfigures, compares and promotes jobs across VPCs — the one
 * way in for the scaffolder actions and the job view: each write is
 * validated, permission-checked, audited before it acts and its outcome
 * recorded.
 * @public
 */
export class JobWriter {
  constructor(
    private readonly options: {
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
      audit: AuditStore;
      permissions: PermissionsService;
      logger: LoggerService;
      cache?: ReadCache;
      configs?: JobConfigs;
      gate?: PromotionGate;
    },
  ) {}

  /**
   * `batch-jobs:job:create` / `:update`: the job from the standard template
   * on every VPC named. `mode` `create` refuses existing jobs unless
   * `update` is set; `update` refuses missing ones. Nothing is written
   * unless every VPC passes the checks.
   */
  async write(
    input: CreateBatchJobsRequest,
    context: JobWriterContext,
    mode: 'create' | 'update' = 'create',
  ): Promise<CreateBatchJobsResponse> {
    const { directory, audit, logger } = this.options;
    const vpcNames = [...new Set(input.vpcs ?? [])];
    if (vpcNames.length === 0) {
      throw new InputError('Invalid job request: at least one VPC is required');
    }
    const vpcs = vpcNames.map(name => directory.getVpc(name));
    const problems = new Set<string>();
    for (const vpc of vpcs) {
      for (const p of validateBatchJobSpec(input, {
        fullName: this.fullName(vpc, input.folder, input.name),
      })) {
        problems.add(p);
      }
    }
    if (problems.size > 0) {
      throw new InputError(`Invalid job request: ${[...problems].join('; ')}`);
    }
    await this.authorize(
      batchJobsJobCreatePermission,
      vpcs,
      context,
      mode === 'create' ? 'create jobs' : 'update jobs',
    );

    const plans = await Promise.all(
      vpcs.map(async vpc => {
        const fullName = this.fullName(vpc, input.folder, input.name);
        directory.resolveJob(vpc.name, fullName);
        const client = this.client(vpc);
        const exists = await client.itemExists(fullName);
        const agentLabel = vpc.agentLabels[input.agentType];
        const configXml = renderBatchJobConfigXml(input, {
          name: vpc.name,
          agentLabel,
        });
        return { vpc, client, fullName, exists, configXml };
      }),
    );
    const existing = plans.filter(p => p.exists).map(p => p.fullName);
    if (mode === 'create' && !input.update && existing.length > 0) {
      throw new ConflictError(
        `Job already exists: ${existing.join(
          ', ',
        )}. Choose another name, or set update to replace its configuration (its builds are kept).`,
      );
    }
    const missing = plans.filter(p => !p.exists).map(p => p.fullName);
    if (mode === 'update' && missing.length > 0) {
      throw new NotFoundError(
        `No such job to update: ${missing.join(', ')}. Create it first.`,
      );
    }

    const jobs: BatchJobWriteResult[] = [];
    for (const plan of plans) {
      const url = `${plan.client.baseUrl}${jobPath(plan.fullName)}/`;
      if (input.dryRun) {
        jobs.push({
          vpc: plan.vpc.name,
          fullName: plan.fullName,
          action: plan.exists ? 'would-update' : 'would-create',
          url,
          configXml: plan.configXml,
        });
        continue;
      }
      const auditId = await audit.create({
        actor: context.actor,
        action: plan.exists ? 'job.update' : 'job.create',
        entityRef: input.entityRef ?? null,
        vpc: plan.vpc.name,
        job: plan.fullName,
        target: plan.fullName,
        parameters: {
          schedule: input.schedule ?? null,
          agentType: input.agentType,
          application: input.application,
          batchName: input.batchName,
          parameters: (input.parameters ?? []).map(p => p.name),
        },
        detail: {
          jenkins: plan.client.name,
          template: 'standard-batch-pipeline',
        },
      });
      try {
        if (plan.exists) {
          await plan.client.updateConfigXml(plan.fullName, plan.configXml);
        } else {
          await this.ensureFolders(plan.client, plan.vpc, input.folder);
          await plan.client.createItem(
            parentOf(plan.fullName),
            input.name,
            plan.configXml,
          );
        }
        await audit.finish(auditId, 'succeeded', {});
      } catch (error) {
        await this.failed(auditId, error);
        throw error;
      }
      await this.forget(plan.client, plan.fullName);
      logger.info(plan.exists ? 'Job reconfigured' : 'Job created', {
        actor: context.actor,
        target: plan.fullName,
        auditId,
      });
      jobs.push({
        vpc: plan.vpc.name,
        fullName: plan.fullName,
        action: plan.exists ? 'updated' : 'created',
        url,
        configXml: plan.configXml,
        auditId,
      });
    }
    return { dryRun: Boolean(input.dryRun), jobs };
  }

  /** `GET /jobs/compare`: the job (path relative to the VPC folders) in each VPC, and what differs. */
  async compare(
    job: string,
    vpcNames: string[],
  ): Promise<JobComparisonResponse> {
    const vpcs = [...new Set(vpcNames)].map(n =>
      this.options.directory.getVpc(n),
    );
    if (vpcs.length < 2) {
      throw new InputError('Invalid comparison: name at least two VPCs');
    }
    const entries = await Promise.all(
      vpcs.map(async vpc => {
        const fullName = this.resolve(vpc, job);
        try {
          const xml = await this.client(vpc).readConfigXml(fullName);
          return {
            vpc,
            fullName,
            definition: parseJobDefinition(xml, vpc),
          };
        } catch (error) {
          if (error instanceof NotFoundError) return { vpc, fullName };
          return {
            vpc,
            fullName,
            error: isError(error) ? error.message : String(error),
          };
        }
      }),
    );
    const present = entries.filter(
      (e): e is typeof e & { definition: JobDefinition } =>
        'definition' in e && Boolean(e.definition),
    );
    // Missing everywhere (and no VPC failed): a mistyped name, not a comparison.
    if (entries.every(e => !('definition' in e) && !('error' in e))) {
      throw new NotFoundError(
        `No job '${job}' in ${vpcs.map(v => v.name).join(', ')}`,
      );
    }
    return {
      job,
      vpcs: entries.map(e => ({
        vpc: e.vpc.name,
        fullName: e.fullName,
        exists: 'definition' in e,
        ...('definition' in e ? { definition: e.definition } : {}),
        ...('error' in e ? { error: e.error } : {}),
      })),
      differences: diffDefinitions(present),
    };
  }

  /**
   * `POST /jobs/promote`: `from`'s configuration, translated to `to`'s
   * agent labels and VPC name, written to `to` (created when missing, its
   * history kept otherwise). Into a VPC with four eyes, it is held.
   */
  async promote(
    input: PromoteJobRequest,
    context: JobWriterContext,
  ): Promise<PromoteJobResponse | unknown> {
    const { directory, audit, logger, gate } = this.options;
    const from = directory.getVpc(input.from);
    const to = directory.getVpc(input.to);
    if (from.name === to.name) {
      throw new InputError('Invalid promotion: from and to are the same VPC');
    }
    const source = this.resolve(from, input.job);
    const target = this.resolve(to, input.job);
    if (!context.approval) {
      await this.authorize(
        batchJobsJobPromotePermission,
        [to],
        context,
        'promote jobs',
      );
    }
    if (!context.approval && gate?.requires(to)) {
      return gate.hold({
        action: 'job.promote',
        vpc: to,
        job: target,
        target,
        summary: `Promote ${input.job} from ${from.name} to ${to.name}`,
        entityRef: input.entityRef ?? null,
        payload: { ...input },
        actor: context.actor,
      });
    }
    const sourceXml = await this.client(from).readConfigXml(source);
    const targetClient = this.client(to);
    const xml = translateConfigXml(sourceXml, from, to);
    let before: string | undefined;
    try {
      before = await targetClient.readConfigXml(target);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    const changed = before
      ? diffDefinitions([
          { vpc: from, definition: parseJobDefinition(sourceXml, from) },
          { vpc: to, definition: parseJobDefinition(before, to) },
        ]).map(d => d.field)
      : [];
    let action: PromoteJobResponse['action'] = 'updated';
    if (!before) action = 'created';
    else if (changed.length === 0 && before === xml) action = 'unchanged';
    const auditId = await audit.create({
      actor: context.actor,
      action: 'job.promote',
      entityRef: input.entityRef ?? null,
      vpc: to.name,
      job: target,
      target,
      parameters: { job: input.job, from: from.name, to: to.name },
      detail: {
        source,
        changed,
        result: action,
        ...(context.approval ? context.approval : {}),
      },
    });
    try {
      if (action === 'created') {
        const [folder, name] = splitRelative(input.job);
        await this.ensureFolders(targetClient, to, folder);
        await targetClient.createItem(parentOf(target), name, xml);
      } else if (action === 'updated') {
        await targetClient.updateConfigXml(target, xml);
      }
      await audit.finish(auditId, 'succeeded', {});
    } catch (error) {
      await this.failed(auditId, error);
      throw error;
    }
    await this.forget(targetClient, target);
    logger.info('Job promoted', {
      actor: context.actor,
      target,
      from: from.name,
      auditId,
    });
    return {
      auditId,
      job: input.job,
      from: from.name,
      to: to.name,
      fullName: target,
      action,
      changed,
    };
  }

  /** A job's path relative to its VPC's folder, from its full name in `vpcName`. */
  relativeJob(vpcName: string, fullName: string): string {
    const { vpc } = this.options.directory.resolveJob(vpcName, fullName);
    return vpc.folder ? fullName.slice(vpc.folder.length + 1) : fullName;
  }

  private client(vpc: VpcConfig): JenkinsClient {
    return this.options.clients.get(vpc.jenkins)!;
  }

  private fullName(vpc: VpcConfig, folder: string, name: string): string {
    return [vpc.folder, folder, name].filter(Boolean).join('/');
  }

  /** A path relative to the VPC's folder, checked to be a safe job path inside it. */
  private resolve(vpc: VpcConfig, job: string): string {
    if (!job) throw new InputError('Invalid request: job is required');
    const fullName = [vpc.folder, job].filter(Boolean).join('/');
    return this.options.directory.resolveJob(vpc.name, fullName).fullName;
  }

  private async authorize(
    permission: typeof batchJobsJobCreatePermission,
    vpcs: VpcConfig[],
    context: JobWriterContext,
    verb: string,
  ) {
    for (const vpc of vpcs) {
      await authorizeInVpc(
        this.options.permissions,
        permission,
        vpc,
        context.credentials,
        verb,
      );
    }
  }

  /** Creates the service folders below the VPC's folder that do not exist yet. */
  private async ensureFolders(
    client: JenkinsClient,
    vpc: VpcConfig,
    folder: string,
  ) {
    let parent = vpc.folder;
    for (const segment of folder.split('/').filter(Boolean)) {
      const path = [parent, segment].filter(Boolean).join('/');
      if (!(await client.itemExists(path))) {
        await client.createItem(parent, segment, FOLDER_XML);
      }
      parent = path;
    }
  }

  private async failed(auditId: string, error: unknown) {
    const message = isError(error) ? error.message : String(error);
    await this.options.audit
      .finish(auditId, 'failed', { detail: { error: message } })
      .catch(e =>
        this.options.logger.error(
          `Could not record failed action ${auditId}: ${e}`,
        ),
      );
  }

  /** Cached listings and the cached spec/label of this job are stale now. */
  private async forget(client: JenkinsClient, fullName: string) {
    const { cache, configs } = this.options;
    await Promise.all([
      configs?.invalidate(client, fullName),
      ...(cache
        ? ancestorFolders(fullName).flatMap(folder => [
            cache.delete(`jenkins:${client.name}:folder:${folder}`),
            cache.delete(`jenkins:${client.name}:vpctree:${folder}`),
          ])
        : []),
    ]);
  }
}

function parentOf(fullName: string): string {
  const i = fullName.lastIndexOf('/');
  return i < 0 ? '' : fullName.slice(0, i);
}

function splitRelative(job: string): [string, string] {
  const i = job.lastIndexOf('/');
  return i < 0 ? ['', job] : [job.slice(0, i), job.slice(i + 1)];
}
