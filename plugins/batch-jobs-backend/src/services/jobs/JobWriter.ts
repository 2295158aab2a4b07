import {
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotFoundError,
  isError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ApprovalConfigChange,
  ApprovalPendingResponse,
  BatchJobWriteResult,
  CreateBatchJobsRequest,
  CreateBatchJobsResponse,
  JobComparisonResponse,
  JobDefinition,
  PromoteJobRequest,
  PromoteJobResponse,
  batchJobsJobCreatePermission,
  batchJobsJobPromotePermission,
  templateVersionOf,
  validateBatchJobSpec,
  JobTemplateSpecResponse,
  STANDARD_JOB_TEMPLATE_ID,
  templateInfoOf,
} from '@batch-jobs/plugin-batch-jobs-common';
import { VpcConfig } from '../../config';
import { JobConfigHistoryStore } from '../../database/DatabaseJobConfigHistoryStore';
import { AuditStore } from '../../database/types';
import { ancestorFolders, checkEntityClaims } from '../actions/entityAccess';
import { JobReadAccess } from '../actions/readAccess';
import {
  ApprovalGate,
  ApprovedAs,
  approvalDetail,
} from '../approvals/ApprovalGate';
import { checkPin, pinHash, unifiedDiff } from '../approvals/pins';
import { JenkinsClient, jobPath } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import { ReadCache } from './ReadCache';
import { listingCacheKeys } from './JobListings';
import { JobConfigs } from '../schedules/JobConfigs';
import {
  diffDefinitions,
  parseJobDefinition,
  templateSpecOf,
  translateConfigXml,
} from './jobDefinition';
import { authorizeInVpc } from '../access/vpcAccess';
import { JobTemplates } from '../templates/JobTemplates';

/** Who acts: the caller's credentials and entity ref. @public */
export interface JobWriterContext {
  credentials: BackstageCredentials;
  actor: string;
  /**
   * Set when a second person approved a held write: it runs with the
   * requester's credentials (checked again) and writes exactly what was reviewed.
   */
  approval?: ApprovedAs;
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
      /** Checks the entity a write is recorded under really claims the job. */
      catalog: CatalogService;
      /** The four-eyes gate: writes into a VPC that requires approval are held. */
      gate?: ApprovalGate;
      /** Every config.xml a write replaces is kept here first. */
      history: JobConfigHistoryStore;
      /** The job templates a write may name (the standard one by default). */
      templates: JobTemplates;
      /** Who may read a job: a promotion reads its source in full. */
      readAccess: JobReadAccess;
    },
  ) {}

  /**
   * `batch-jobs:job:create` / `:update`: the job from the template the
   * request names (the standard one by default) on every VPC named. `mode` `create` refuses existing jobs unless
   * `update` is set; `update` refuses missing ones. Nothing is written
   * unless every VPC passes the checks. When one of the VPCs requires
   * approval, the whole write is held with each config.xml and its diff.
   * Replacing a job the template did not create needs `force`; every
   * replaced config.xml is kept in the job's history first.
   */
  async write(
    input: CreateBatchJobsRequest,
    context: JobWriterContext,
    mode: 'create' | 'update' = 'create',
  ): Promise<CreateBatchJobsResponse | ApprovalPendingResponse> {
    const { directory, audit, logger, gate } = this.options;
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
    const template = await this.options.templates.get(input.template);

    const plans = await Promise.all(
      vpcs.map(async vpc => {
        const fullName = this.fullName(vpc, input.folder, input.name);
        directory.resolveJob(vpc.name, fullName);
        const client = this.client(vpc);
        const exists = await client.itemExists(fullName);
        // What the write would replace: kept in the history, pinned when held.
        const current = exists
          ? await client.readConfigXml(fullName)
          : undefined;
        const agentLabel = vpc.agentLabels[input.agentType];
        const configXml = this.options.templates.render(template, input, {
          name: vpc.name,
          agentLabel,
        });
        return { vpc, client, fullName, exists, current, configXml };
      }),
    );
    // The audit rows name the entity only once it is shown to claim each job.
    const entityRef = input.entityRef
      ? (
          await Promise.all(
            plans.map(p =>
              checkEntityClaims(this.options, {
                entityRef: input.entityRef!,
                vpc: p.vpc,
                fullName: p.fullName,
                credentials: context.credentials,
              }),
            ),
          )
        )[0]
      : null;
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
    // A name collision must not silently replace a hand-written job.
    const handWritten = plans
      .filter(
        p =>
          p.current !== undefined && templateVersionOf(p.current) === undefined,
      )
      .map(p => p.fullName);
    if (handWritten.length > 0 && !input.force) {
      throw new ConflictError(
        handWritten.length === 1
          ? `job ${handWritten[0]} was not created by the Batch Jobs template; pass force: true to replace it (its config is kept in the history)`
          : `jobs ${handWritten.join(
              ', ',
            )} were not created by the Batch Jobs template; pass force: true to replace them (their configs are kept in the history)`,
      );
    }

    const gated = vpcs.filter(v => gate?.requires(v));
    if (!input.dryRun && (context.approval || gated.length > 0)) {
      const rendered = plans.map(p => ({
        vpc: p.vpc.name,
        fullName: p.fullName,
        configXml: p.configXml,
      }));
      const hash = pinHash(rendered);
      const current = plans.map(p => p.current ?? '');
      const targetHash = pinHash(current);
      if (context.approval) {
        const review = context.approval.review;
        checkPin(review?.hash, hash, 'the rendered configuration');
        checkPin(review?.targetHash, targetHash, 'the target configuration');
      } else {
        const configs: ApprovalConfigChange[] = plans.map((p, i) => ({
          vpc: p.vpc.name,
          fullName: p.fullName,
          exists: p.exists,
          configXml: p.configXml,
          diff: unifiedDiff(current[i], p.configXml, {
            from: p.exists ? `${p.fullName}/config.xml (now)` : '/dev/null',
            to: `${p.fullName}/config.xml (requested)`,
          }),
        }));
        const action = plans.some(p => p.exists) ? 'job.update' : 'job.create';
        return gate!.hold({
          action,
          // The approvers of the first VPC that needs them; the summary names all.
          vpc: gated[0],
          job: plans.find(p => p.vpc.name === gated[0].name)!.fullName,
          target: plans.map(p => p.fullName).join(', '),
          summary: `${action === 'job.create' ? 'Create' : 'Update'} job ${
            input.name
          } in ${vpcs.map(v => v.name).join(', ')}`,
          entityRef,
          payload: { ...input, mode },
          review: {
            configs,
            hash,
            hashOf: 'the config.xml rendered for each VPC',
            targetHash,
          },
          actor: context.actor,
        });
      }
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
        entityRef,
        vpc: plan.vpc.name,
        job: plan.fullName,
        target: plan.fullName,
        parameters: {
          schedule: input.schedule ?? null,
          agentType: input.agentType,
          application: input.application,
          batchName: input.batchName,
          parameters: (input.parameters ?? []).map(p => p.name),
          ...(input.force ? { force: true } : {}),
        },
        detail: {
          jenkins: plan.client.name,
          template: template.id,
          templateVersion: template.version,
          ...approvalDetail(context.approval),
        },
      });
      try {
        let replacedVersionId: string | undefined;
        if (plan.current !== undefined) {
          replacedVersionId = await this.keepReplaced(
            plan.vpc,
            plan.fullName,
            plan.current,
            { action: 'job.update', auditId, entityRef },
            context,
          );
          await plan.client.updateConfigXml(plan.fullName, plan.configXml);
        } else {
          await this.ensureFolders(plan.client, plan.vpc, input.folder);
          await plan.client.createItem(
            parentOf(plan.fullName),
            input.name,
            plan.configXml,
          );
        }
        await audit.finish(auditId, 'succeeded', {
          detail: replacedVersionId ? { replacedVersionId } : {},
        });
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

  /**
   * `GET /jobs/template`: the spec a job of a template was rendered from,
   * read back from its config.xml now (one read, on request), to re-render
   * it with the template's current version (`POST /jobs/update`).
   */
  async templateSpec(
    vpcName: string,
    fullName: string,
  ): Promise<JobTemplateSpecResponse> {
    const { vpc } = this.options.directory.resolveJob(vpcName, fullName);
    const xml = await this.client(vpc).readConfigXml(fullName);
    const { template, version, spec } = templateSpecOf(
      xml,
      vpc,
      this.relativeJob(vpc.name, fullName),
    );
    // Another template's current version comes from its source (which may fail: 503).
    const current =
      template === STANDARD_JOB_TEMPLATE_ID
        ? undefined
        : {
            id: template,
            current: (await this.options.templates.get(template)).version,
          };
    return {
      vpc: vpc.name,
      fullName,
      template: templateInfoOf(version, current)!,
      spec,
    };
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
  ): Promise<PromoteJobResponse | ApprovalPendingResponse> {
    const { directory, audit, logger, gate } = this.options;
    const from = directory.getVpc(input.from);
    const to = directory.getVpc(input.to);
    if (from.name === to.name) {
      throw new InputError('Invalid promotion: from and to are the same VPC');
    }
    const source = this.resolve(from, input.job);
    const target = this.resolve(to, input.job);
    // Also when approved: the requester's permission may have gone since.
    await this.authorize(
      batchJobsJobPromotePermission,
      [to],
      context,
      'promote jobs',
    );
    const entityRef = input.entityRef
      ? await checkEntityClaims(this.options, {
          entityRef: input.entityRef,
          vpc: to,
          fullName: target,
          credentials: context.credentials,
        })
      : null;
    // The source lands where the caller can read it: they must may read it
    // in `from` too (as /jobs/compare asks), or a promotion copies out a job
    // they cannot see. Asked afresh, also when approved: that right may have
    // gone since the request.
    await this.options.readAccess.checkJob(from, source, context.credentials, {
      fresh: true,
    });
    const sourceXml = await this.client(from).readConfigXml(source);
    const targetClient = this.client(to);
    const xml = translateConfigXml(sourceXml, from, to);
    let before: string | undefined;
    try {
      before = await targetClient.readConfigXml(target);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    const hash = pinHash(sourceXml);
    const targetHash = pinHash(before ?? '');
    if (context.approval) {
      // What lands is what was reviewed, or nothing.
      const review = context.approval.review;
      checkPin(review?.hash, hash, `the source ${source} in ${from.name}`);
      checkPin(review?.targetHash, targetHash, `the target ${target}`);
    } else if (gate?.requires(to)) {
      return gate.hold({
        action: 'job.promote',
        vpc: to,
        job: target,
        target,
        summary: `Promote ${input.job} from ${from.name} to ${to.name}`,
        entityRef,
        payload: { ...input },
        review: {
          configs: [
            {
              vpc: to.name,
              fullName: target,
              exists: before !== undefined,
              configXml: xml,
              diff: unifiedDiff(before ?? '', xml, {
                from: before ? `${target}/config.xml (now)` : '/dev/null',
                to: `${target}/config.xml (from ${source})`,
              }),
            },
          ],
          hash,
          hashOf: `the source config.xml of ${source} in ${from.name}`,
          targetHash,
        },
        actor: context.actor,
      });
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
      entityRef,
      vpc: to.name,
      job: target,
      target,
      parameters: { job: input.job, from: from.name, to: to.name },
      detail: {
        source,
        changed,
        result: action,
        ...approvalDetail(context.approval),
      },
    });
    try {
      let replacedVersionId: string | undefined;
      if (action === 'created') {
        const [folder, name] = splitRelative(input.job);
        await this.ensureFolders(targetClient, to, folder);
        await targetClient.createItem(parentOf(target), name, xml);
      } else if (action === 'updated') {
        replacedVersionId = await this.keepReplaced(
          to,
          target,
          before!,
          { action: 'job.promote', auditId, entityRef },
          context,
        );
        await targetClient.updateConfigXml(target, xml);
      }
      await audit.finish(auditId, 'succeeded', {
        detail: replacedVersionId ? { replacedVersionId } : {},
      });
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

  /**
   * Keeps the config.xml about to be replaced in the job's history, with who,
   * why and the approval; returns the version's id. Called after the audit
   * row is written and before Jenkins is: no replacement without its copy.
   */
  private async keepReplaced(
    vpc: VpcConfig,
    fullName: string,
    configXml: string,
    why: {
      action: 'job.update' | 'job.promote';
      auditId: string;
      entityRef: string | null;
    },
    context: JobWriterContext,
  ): Promise<string> {
    const version = await this.options.history.record({
      vpc: vpc.name,
      job: fullName,
      configXml,
      actor: context.actor,
      action: why.action,
      auditId: why.auditId,
      approvalId: context.approval?.approvalId ?? null,
      entityRef: why.entityRef,
    });
    return version.id;
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
  async forget(client: JenkinsClient, fullName: string) {
    const { cache, configs } = this.options;
    await Promise.all([
      configs?.invalidate(client, fullName),
      ...(cache
        ? [
            ...ancestorFolders(fullName).flatMap(folder => [
              cache.delete(`jenkins:${client.name}:folder:${folder}`),
              cache.delete(`jenkins:${client.name}:vpctree:${folder}`),
            ]),
            ...listingCacheKeys(client.name, fullName).map(key =>
              cache.delete(key),
            ),
          ]
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
