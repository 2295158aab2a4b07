import {
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { ConflictError, NotFoundError, isError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ApprovalPendingResponse,
  JobConfigHistoryResponse,
  JobConfigVersionResponse,
  RestoreJobConfigRequest,
  RestoreJobConfigResponse,
  batchJobsJobCreatePermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import {
  JobConfigHistoryStore,
  JobConfigVersionRecord,
  configSha256,
} from '../../database/DatabaseJobConfigHistoryStore';
import { AuditStore } from '../../database/types';
import { authorizeInVpc } from '../access/vpcAccess';
import { checkEntityClaims } from '../actions/entityAccess';
import { ApprovalGate, approvalDetail } from '../approvals/ApprovalGate';
import { checkPin, pinHash, unifiedDiff } from '../approvals/pins';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import { JobWriter, JobWriterContext } from './JobWriter';
import { parseConfigXml, textAt } from '../jenkins/configXml';

const DISABLED = /<disabled>\s*(true|false)\s*<\/disabled>/g;

/** The job's own `<disabled>` (a child of the root), not a plugin's. */
function disabledOf(xml: string): string | undefined {
  return textAt(parseConfigXml(xml), 'disabled')?.trim();
}

/**
 * The version's config.xml as a restore writes it: byte for byte, except
 * that the job stays paused or running as it is now. Pausing has its own
 * audited action and record; a restore must not undo it on the side.
 */
export function restorable(versionXml: string, currentXml: string): string {
  const now = disabledOf(currentXml);
  const then = disabledOf(versionXml);
  if (now === undefined || then === undefined || now === then)
    return versionXml;
  // Of the <disabled> elements in the text (a plugin may have its own, or a
  // comment may hold one), change the one the parser reads as the job's.
  for (const m of versionXml.matchAll(DISABLED)) {
    const before = versionXml.slice(0, m.index);
    const after = versionXml.slice(m.index! + m[0].length);
    const candidate = `${before}<disabled>${now}</disabled>${after}`;
    if (disabledOf(candidate) === now) return candidate;
  }
  return versionXml;
}

/**
 * A way back for job changes: the config.xml versions portal writes
 * replaced (JobWriter keeps each one before it writes), shown per job, and
 * an audited restore that is held in VPCs with four eyes and itself keeps
 * the config it replaces, so a restore can be undone too.
 * @public
 */
export class JobConfigHistory {
  constructor(
    private readonly options: {
      store: JobConfigHistoryStore;
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
      audit: AuditStore;
      permissions: PermissionsService;
      catalog: CatalogService;
      logger: LoggerService;
      /** Invalidates the caches of a job it rewrote. */
      writer: Pick<JobWriter, 'forget'>;
      gate?: ApprovalGate;
    },
  ) {}

  /** `GET /jobs/history`: the job's kept versions, newest first (read access checked by the router). */
  async list(
    vpcName: string,
    fullName: string,
  ): Promise<JobConfigHistoryResponse> {
    const { vpc } = this.options.directory.resolveJob(vpcName, fullName);
    const { store } = this.options;
    return {
      vpc: vpc.name,
      job: fullName,
      items: await store.list(vpc.name, fullName),
      keep: store.keep,
    };
  }

  /** A kept version, to check read access on its job before `describe`. */
  async find(id: string): Promise<JobConfigVersionRecord> {
    const version = await this.options.store.get(id);
    if (!version) {
      throw new NotFoundError(`No kept job config version '${id}'`);
    }
    return version;
  }

  /** `GET /jobs/history/:id`: the version's XML and what restoring it would change. */
  async describe(
    version: JobConfigVersionRecord,
  ): Promise<JobConfigVersionResponse> {
    const { configXml, ...summary } = version;
    const { vpc } = this.options.directory.resolveJob(version.vpc, version.job);
    const current = await this.readCurrent(
      this.client(vpc.jenkins),
      version.job,
    );
    return {
      version: summary,
      configXml,
      jobExists: current !== undefined,
      diff: unifiedDiff(
        current ?? '',
        current === undefined ? configXml : restorable(configXml, current),
        {
          from:
            current === undefined
              ? '/dev/null'
              : `${version.job}/config.xml (now)`,
          to: `${version.job}/config.xml (version of ${version.createdAt})`,
        },
      ),
    };
  }

  /**
   * `POST /jobs/restore`: writes a kept version back. Needs the permission
   * a job update needs in the VPC (it replaces a config.xml just like one);
   * in a VPC with four eyes it is held, pinned to the version's XML and to
   * the job's current config.
   */
  async restore(
    input: RestoreJobConfigRequest,
    context: JobWriterContext,
  ): Promise<RestoreJobConfigResponse | ApprovalPendingResponse> {
    const { directory, audit, store, logger, gate } = this.options;
    const { vpc, fullName } = directory.resolveJob(input.vpc, input.job);
    // Also when approved: the requester's permission may have gone since.
    await authorizeInVpc(
      this.options.permissions,
      batchJobsJobCreatePermission,
      vpc,
      context.credentials,
      'restore job configurations',
    );
    const entityRef = input.entityRef
      ? await checkEntityClaims(this.options, {
          entityRef: input.entityRef,
          vpc,
          fullName,
          credentials: context.credentials,
        })
      : null;
    const version = await store.get(input.versionId);
    if (!version || version.vpc !== vpc.name || version.job !== fullName) {
      throw new NotFoundError(
        `No kept config version '${input.versionId}' of job '${fullName}' in VPC '${vpc.name}'`,
      );
    }
    if (configSha256(version.configXml) !== version.sha256) {
      throw new ConflictError(
        `Kept config version '${
          version.id
        }' of '${fullName}' does not match its sha256 ${version.sha256.slice(
          0,
          12,
        )}…; it is not restored`,
      );
    }
    const client = this.client(vpc.jenkins);
    const current = await this.readCurrent(client, fullName);
    if (current === undefined) {
      throw new NotFoundError(
        `Job '${fullName}' no longer exists in VPC '${vpc.name}': a restore replaces the config of an existing job`,
      );
    }
    const xml = restorable(version.configXml, current);
    const hash = pinHash(xml);
    const targetHash = pinHash(current);
    const hashOf = `the config.xml of version ${version.id} (${version.createdAt}) of ${fullName}`;
    if (context.approval) {
      // What lands is what was reviewed, over what was reviewed, or nothing.
      const review = context.approval.review;
      checkPin(review?.hash, hash, `the version to restore`);
      checkPin(review?.targetHash, targetHash, `the target ${fullName}`);
    } else if (gate?.requires(vpc)) {
      return gate.hold({
        action: 'job.restore',
        vpc,
        job: fullName,
        target: fullName,
        summary: `Restore ${fullName} to its config of ${version.createdAt}`,
        entityRef,
        payload: {
          vpc: vpc.name,
          job: fullName,
          versionId: version.id,
          ...(entityRef ? { entityRef } : {}),
        },
        review: {
          configs: [
            {
              vpc: vpc.name,
              fullName,
              exists: true,
              configXml: xml,
              diff: unifiedDiff(current, xml, {
                from: `${fullName}/config.xml (now)`,
                to: `${fullName}/config.xml (version of ${version.createdAt})`,
              }),
            },
          ],
          hash,
          hashOf,
          targetHash,
        },
        actor: context.actor,
      });
    }

    const unchanged = xml === current;
    const auditId = await audit.create({
      actor: context.actor,
      action: 'job.restore',
      entityRef,
      vpc: vpc.name,
      job: fullName,
      target: fullName,
      parameters: { versionId: version.id },
      detail: {
        version: {
          createdAt: version.createdAt,
          replacedBy: version.actor,
          replacedThrough: version.action,
          sha256: version.sha256,
        },
        result: unchanged ? 'unchanged' : 'restored',
        ...approvalDetail(context.approval),
      },
    });
    let replacedVersionId: string | undefined;
    try {
      if (!unchanged) {
        // The config being replaced first: a restore can be undone too.
        replacedVersionId = (
          await store.record({
            vpc: vpc.name,
            job: fullName,
            configXml: current,
            actor: context.actor,
            action: 'job.restore',
            auditId,
            approvalId: context.approval?.approvalId ?? null,
            entityRef,
            restoredVersionId: version.id,
          })
        ).id;
        await client.updateConfigXml(fullName, xml);
      }
      await audit.finish(auditId, 'succeeded', {
        detail: replacedVersionId ? { replacedVersionId } : {},
      });
    } catch (error) {
      const message = isError(error) ? error.message : String(error);
      await audit
        .finish(auditId, 'failed', { detail: { error: message } })
        .catch(e =>
          logger.error(`Could not record failed action ${auditId}: ${e}`),
        );
      throw error;
    }
    if (!unchanged) await this.options.writer.forget(client, fullName);
    logger.info('Job config restored', {
      actor: context.actor,
      target: fullName,
      versionId: version.id,
      auditId,
    });
    return {
      auditId,
      vpc: vpc.name,
      job: fullName,
      versionId: version.id,
      action: unchanged ? 'unchanged' : 'restored',
      sha256: configSha256(xml),
      ...(replacedVersionId ? { replacedVersionId } : {}),
    };
  }

  private client(jenkins: string): JenkinsClient {
    return this.options.clients.get(jenkins)!;
  }

  private async readCurrent(
    client: JenkinsClient,
    fullName: string,
  ): Promise<string | undefined> {
    try {
      return await client.readConfigXml(fullName);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }
}
