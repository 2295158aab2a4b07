import { Entity } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  BATCH_JOBS_ANNOTATION,
  BATCH_JOBS_VPCS_ANNOTATION,
} from '@internal/plugin-batch-jobs-common';
import { BatchJobsConfig, VpcConfig } from '../../config';

/** A job the caller named, checked to live inside a configured VPC. @public */
export interface ResolvedJob {
  vpc: VpcConfig;
  /** Jenkins full name, e.g. `DEV/payments-settlement/migrate-ledger`. */
  fullName: string;
}

/**
 * One entry of the `batch-jobs.io/jobs` annotation: a path relative to the
 * VPC's folder naming a job or a folder; the last segment may be a `*` glob.
 * @public
 */
export interface JobSelector {
  raw: string;
  segments: string[];
}

/** What an entity's annotations select, per VPC. @public */
export interface EntitySelection {
  selectors: JobSelector[];
  /** Selectors that could not be parsed, with the reason. */
  invalid: Array<{ raw: string; error: string }>;
  vpcs: VpcConfig[];
  /** VPC names in `batch-jobs.io/vpcs` that are not configured. */
  unknownVpcs: string[];
}

// Characters Jenkins itself refuses in item names (Jenkins.checkGoodName), plus
// anything that could smuggle a path: '%' covers %2F, '\' Windows separators.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[?*/\\%!@#$^&|<>[\]:;\u0000-\u001f\u007f]/;

function checkSegment(segment: string, label: string, allowGlob: boolean) {
  if (segment === '' || segment.trim() !== segment) {
    throw new InputError(`${label}: empty or padded path segment '${segment}'`);
  }
  if (segment === '.' || segment === '..') {
    throw new InputError(`${label}: '.' and '..' are not allowed`);
  }
  const forbidden = allowGlob ? segment.replace(/\*/g, '') : segment;
  if (FORBIDDEN.test(forbidden)) {
    throw new InputError(
      `${label}: segment '${sanitize(
        segment,
      )}' contains a character Jenkins does not allow in names`,
    );
  }
}

/** `*`-glob to an anchored regex. @internal */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .split('*')
    .map(part => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`);
}

/**
 * Knows which jobs belong to which VPC and which entity: the single place
 * where caller input (`vpc`, `job`) is checked before it reaches Jenkins.
 * @public
 */
export class JobDirectory {
  private readonly vpcs: Map<string, VpcConfig>;

  static fromConfig(config: BatchJobsConfig) {
    return new JobDirectory(config.vpcs);
  }

  private constructor(vpcs: VpcConfig[]) {
    this.vpcs = new Map(vpcs.map(v => [v.name, v]));
  }

  listVpcs(): VpcConfig[] {
    return [...this.vpcs.values()];
  }

  getVpc(name: string): VpcConfig {
    const vpc = this.vpcs.get(name);
    if (!vpc) {
      throw new InputError(
        `Unknown VPC '${name}'; configured VPCs: ${[...this.vpcs.keys()].join(
          ', ',
        )}`,
      );
    }
    return vpc;
  }

  /** Checks that `job` (a Jenkins full name) is a safe path inside the VPC. */
  resolveJob(vpcName: string, job: string): ResolvedJob {
    const vpc = this.getVpc(vpcName);
    const segments = job.split('/');
    segments.forEach(s =>
      checkSegment(s, `Invalid job '${sanitize(job)}'`, false),
    );
    if (!this.isInVpc(vpc, job)) {
      throw new InputError(
        `Job '${job}' is not in VPC '${vpc.name}' (its jobs live in folder '${
          vpc.folder || '/'
        }'${vpc.namePattern ? ` and match '${vpc.namePattern}'` : ''})`,
      );
    }
    return { vpc, fullName: job };
  }

  isInVpc(vpc: VpcConfig, fullName: string): boolean {
    const prefix = vpc.folder ? `${vpc.folder}/` : '';
    if (!fullName.startsWith(prefix) || fullName.length === prefix.length)
      return false;
    const name = fullName.slice(fullName.lastIndexOf('/') + 1);
    return !vpc.namePattern || globToRegExp(vpc.namePattern).test(name);
  }

  /** Reads the entity's annotations; NotFoundError when it has none. */
  selectionFor(entity: Entity): EntitySelection {
    const annotations = entity.metadata.annotations ?? {};
    const jobsAnnotation = annotations[BATCH_JOBS_ANNOTATION];
    if (!jobsAnnotation || !jobsAnnotation.trim()) {
      throw new NotFoundError(
        `Entity '${entity.metadata.name}' has no '${BATCH_JOBS_ANNOTATION}' annotation`,
      );
    }
    const selectors: JobSelector[] = [];
    const invalid: EntitySelection['invalid'] = [];
    for (const raw of jobsAnnotation
      .split(',')
      .map(s => s.trim())
      .filter(Boolean)) {
      try {
        selectors.push(parseSelector(raw));
      } catch (error) {
        invalid.push({ raw, error: (error as Error).message });
      }
    }
    const vpcAnnotation = annotations[BATCH_JOBS_VPCS_ANNOTATION];
    const wanted = vpcAnnotation
      ? vpcAnnotation
          .split(',')
          .map(s => s.trim())
          .filter(Boolean)
      : undefined;
    const vpcs = wanted
      ? this.listVpcs().filter(v => wanted.includes(v.name))
      : this.listVpcs();
    const unknownVpcs = wanted
      ? wanted.filter(name => !this.vpcs.has(name))
      : [];
    return { selectors, invalid, vpcs, unknownVpcs };
  }

  /** The folder to list to find what `selector` names in `vpc`. */
  parentFolder(vpc: VpcConfig, selector: JobSelector): string {
    return [vpc.folder, ...selector.segments.slice(0, -1)]
      .filter(Boolean)
      .join('/');
  }

  /** Whether the selection picks the job `fullName` of `vpc`. */
  selects(
    selection: EntitySelection,
    vpc: VpcConfig,
    fullName: string,
  ): boolean {
    if (
      !selection.vpcs.some(v => v.name === vpc.name) ||
      !this.isInVpc(vpc, fullName)
    ) {
      return false;
    }
    const relative = (
      vpc.folder ? fullName.slice(vpc.folder.length + 1) : fullName
    ).split('/');
    return selection.selectors.some(selector => {
      const n = selector.segments.length;
      // The selector names the job itself, or the folder directly holding it.
      if (relative.length !== n && relative.length !== n + 1) return false;
      for (let i = 0; i < n - 1; i++) {
        if (relative[i] !== selector.segments[i]) return false;
      }
      return globToRegExp(selector.segments[n - 1]).test(relative[n - 1]);
    });
  }
}

/** @internal */
export function parseSelector(raw: string): JobSelector {
  const segments = raw.split('/');
  segments.forEach((s, i) =>
    checkSegment(
      s,
      `Invalid job selector '${sanitize(raw)}'`,
      i === segments.length - 1,
    ),
  );
  return { raw, segments };
}

function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 200);
}
