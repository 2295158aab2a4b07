import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { batchJobsVpcReadPermission } from '@batch-jobs/plugin-batch-jobs-common';
import { VpcConfig } from '../../config';
import { JobDirectory, ResolvedJob } from '../jenkins/JobDirectory';
import { mayInVpc } from '../access/vpcAccess';
import { claimingEntities } from './entityAccess';

/** How long a granted read is remembered per user and job (log polls, build pages). */
const GRANT_TTL_MS = 10_000;
const MAX_GRANTS = 10_000;

/**
 * Who may read a job's data (builds, logs, parameters, config, queue items,
 * its audit): a user who can see, in the catalog and with their own
 * credentials, an entity that validly claims the job, or a holder of
 * `batch-jobs.vpc.read` on its VPC. VPC-wide views need the latter.
 * Refusals name what is missing and leak nothing of the job.
 * @internal
 */
export class JobReadAccess {
  private readonly grants = new Map<string, number>();

  constructor(
    private readonly options: {
      catalog: CatalogService;
      directory: JobDirectory;
      permissions: PermissionsService;
      now?: () => number;
    },
  ) {}

  private now() {
    return this.options.now?.() ?? Date.now();
  }

  /**
   * The job a read names (VPC name and job path), resolved and checked:
   * 400 for a bad name, 404 unless the caller may read it.
   */
  async readableJob(
    vpcName: string,
    job: string,
    credentials: BackstageCredentials,
  ): Promise<ResolvedJob> {
    const resolved = this.options.directory.resolveJob(vpcName, job);
    await this.checkJob(resolved.vpc, resolved.fullName, credentials);
    return resolved;
  }

  /**
   * Which jobs of `vpc` an entity's view shows: those the entity validly
   * claims, the entity read with the caller's credentials (what they cannot
   * see does not exist: 404). 400 for a malformed ref.
   */
  async entityJobs(
    vpc: VpcConfig,
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<(fullName: string) => boolean> {
    let ref;
    try {
      ref = parseEntityRef(entityRef);
    } catch (error) {
      throw new InputError(`Invalid entityRef: ${(error as Error).message}`);
    }
    const { catalog, directory } = this.options;
    const entity = await catalog.getEntityByRef(ref, { credentials });
    if (!entity) {
      throw new NotFoundError(`Entity '${entityRef}' not found`);
    }
    const selection = await directory.selectionFor(entity);
    return directory.selectsIn(selection, vpc);
  }

  /**
   * Throws a NotFoundError unless the caller may read the job `fullName` of
   * `vpc`. A grant is remembered for a few seconds (log polls, build pages);
   * `fresh` asks the catalog and the policy again, for reads that copy a job
   * somewhere else.
   */
  async checkJob(
    vpc: VpcConfig,
    fullName: string,
    credentials: BackstageCredentials,
    options: { fresh?: boolean } = {},
  ): Promise<void> {
    const key = grantKey(credentials, vpc, fullName);
    if (key && !options.fresh && (this.grants.get(key) ?? 0) > this.now())
      return;
    const entities = await claimingEntities(this.options, {
      vpc,
      fullName,
      credentials,
    });
    if (
      entities.length === 0 &&
      !(await mayInVpc(
        this.options.permissions,
        batchJobsVpcReadPermission,
        vpc,
        credentials,
      ))
    ) {
      throw new NotFoundError(
        `No catalog entity you can see claims job '${fullName}' in VPC '${vpc.name}', and you may not read the whole VPC (${batchJobsVpcReadPermission.name})`,
      );
    }
    if (key) {
      if (this.grants.size >= MAX_GRANTS) this.grants.clear();
      this.grants.set(key, this.now() + GRANT_TTL_MS);
    }
  }

  /** Throws a NotAllowedError unless the caller holds `batch-jobs.vpc.read` on `vpc`. */
  async checkVpc(
    vpc: VpcConfig,
    credentials: BackstageCredentials,
    /** What was asked, e.g. "the fleet". */
    what: string,
  ): Promise<void> {
    if (!(await this.mayReadVpc(vpc, credentials))) {
      throw new NotAllowedError(
        `You may not read ${what} of VPC '${vpc.name}' (${batchJobsVpcReadPermission.name})`,
      );
    }
  }

  /** `checkVpc` for each of `vpcs`: views that span them all (routines). */
  async checkVpcs(
    vpcs: VpcConfig[],
    credentials: BackstageCredentials,
    what: string,
  ): Promise<void> {
    for (const vpc of vpcs) await this.checkVpc(vpc, credentials, what);
  }

  mayReadVpc(vpc: VpcConfig, credentials: BackstageCredentials) {
    return mayInVpc(
      this.options.permissions,
      batchJobsVpcReadPermission,
      vpc,
      credentials,
    );
  }
}

function grantKey(
  credentials: BackstageCredentials,
  vpc: VpcConfig,
  fullName: string,
): string | undefined {
  const principal = credentials.principal as {
    type?: string;
    userEntityRef?: string;
  };
  return principal?.type === 'user' && principal.userEntityRef
    ? JSON.stringify([principal.userEntityRef, vpc.name, fullName])
    : undefined;
}
