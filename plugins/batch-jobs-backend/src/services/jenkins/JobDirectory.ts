import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  BATCH_JOBS_ANNOTATION,
  BATCH_JOBS_VPCS_ANNOTATION,
} from '@batch-jobs/plugin-batch-jobs-common';
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
  /** The entity's ref, lower-cased (entity refs compare case-insensitively). */
  entityRef: string;
  selectors: JobSelector[];
  /** Selectors that could not be parsed, with the reason. */
  invalid: Array<{ raw: string; error: string }>;
  vpcs: VpcConfig[];
  /** VPC names in `batch-jobs.io/vpcs` that are not configured. */
  unknownVpcs: string[];
}

/**
 * Whether an entity's claim on a job counts:
 * - `valid`: its annotation selects the job and an operator's binding
 *   (`batchJobs.ownership`) gives the job to this entity and to no other;
 * - `unconfirmed`: the annotation selects it, no binding gives it to the entity;
 * - `conflict`: bindings give the job to several entities (this one among
 *   them): nobody gets any power through an entity until an operator resolves it;
 * - `none`: the annotation does not select it.
 * @public
 */
export type ClaimState = 'valid' | 'unconfirmed' | 'conflict' | 'none';

/** An operator's binding: which jobs one catalog entity may claim. @public */
export interface OwnershipBinding {
  /** Lower-cased entity ref, e.g. `component:default/payments-settlement`. */
  entityRef: string;
  selectors: JobSelector[];
  /** VPC names the binding applies to; undefined: every VPC. */
  vpcs?: string[];
}

/*
 * Selectors come from annotations anyone who can register an entity writes,
 * and are matched against every job on each read: their size is capped and
 * matching is linear (no regular expressions), so no selector can stall the
 * event loop.
 */
/** Longest path segment of a selector. @public */
export const MAX_SELECTOR_SEGMENT_LENGTH = 200;
/** Most `*` in one selector. @public */
export const MAX_SELECTOR_WILDCARDS = 4;
/** Most path segments of one selector. @public */
export const MAX_SELECTOR_SEGMENTS = 8;
/** Most selectors in one annotation. @public */
export const MAX_SELECTORS = 50;
/** Longest annotation value read. @public */
export const MAX_ANNOTATION_LENGTH = 4000;

// Characters Jenkins itself refuses in item names (Jenkins.checkGoodName), plus
// anything that could smuggle a path: '%', '\' Windows separators.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[?*/\\%!@#$^&|<>[\]:;\u0000-\u001f\u007f]/;

/**
 * Multibranch projects name a branch job by its branch with the slash
 * encoded (`feature/ORD-214` → `feature%2FORD-214`, branch-api's
 * NameEncoder): that one escape is a literal part of the name. It is
 * encoded again toward Jenkins (`feature%252FORD-214`), so it can never
 * become a path separator; every other '%' is still refused.
 */
const ENCODED_SLASH = /%2F/g;

function checkSegment(segment: string, label: string, allowGlob: boolean) {
  if (segment === '' || segment.trim() !== segment) {
    throw new InputError(`${label}: empty or padded path segment '${segment}'`);
  }
  if (segment === '.' || segment === '..') {
    throw new InputError(`${label}: '.' and '..' are not allowed`);
  }
  const unescaped = segment.replace(ENCODED_SLASH, '');
  const forbidden = allowGlob ? unescaped.replace(/\*/g, '') : unescaped;
  if (FORBIDDEN.test(forbidden)) {
    throw new InputError(
      `${label}: segment '${sanitize(
        segment,
      )}' contains a character Jenkins does not allow in names`,
    );
  }
}

/**
 * Whether `text` matches the `*`-glob `glob` (`*`: any run of characters).
 * Linear in the text for a bounded number of stars: the literal parts are
 * found left to right, and the leftmost match of each is always a right
 * choice for a glob that has no other wildcard.
 * @public
 */
export function globMatches(glob: string, text: string): boolean {
  const parts = glob.split('*');
  if (parts.length === 1) return glob === text;
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (
    text.length < first.length + last.length ||
    !text.startsWith(first) ||
    !text.endsWith(last)
  ) {
    return false;
  }
  let position = first.length;
  const end = text.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i];
    if (!part) continue;
    const at = text.indexOf(part, position);
    if (at < 0 || at + part.length > end) return false;
    position = at + part.length;
  }
  return true;
}

/**
 * Knows which jobs belong to which VPC and which entity: the single place
 * where caller input (`vpc`, `job`) is checked before it reaches Jenkins.
 * @public
 */
export class JobDirectory {
  private readonly vpcs: Map<string, VpcConfig>;

  static fromConfig(config: BatchJobsConfig) {
    return new JobDirectory(config.vpcs, config.ownership);
  }

  private constructor(
    vpcs: VpcConfig[],
    private readonly bindings: OwnershipBinding[],
  ) {
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
    return !vpc.namePattern || globMatches(vpc.namePattern, name);
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
    if (jobsAnnotation.length > MAX_ANNOTATION_LENGTH) {
      invalid.push({
        raw: `${jobsAnnotation.slice(0, 40)}…`,
        error: `Annotation '${BATCH_JOBS_ANNOTATION}' is ${jobsAnnotation.length} characters long; at most ${MAX_ANNOTATION_LENGTH} are read`,
      });
    }
    const entries = jobsAnnotation
      .slice(0, MAX_ANNOTATION_LENGTH)
      .split(',')
      .map(s => s.trim())
      .filter(Boolean);
    for (const [i, raw] of entries.entries()) {
      if (i >= MAX_SELECTORS) {
        invalid.push({
          raw: sanitize(raw),
          error: `Annotation '${BATCH_JOBS_ANNOTATION}' has ${entries.length} selectors; at most ${MAX_SELECTORS} are read`,
        });
        break;
      }
      try {
        selectors.push(parseSelector(raw));
      } catch (error) {
        invalid.push({ raw: sanitize(raw), error: (error as Error).message });
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
    return {
      entityRef: normalizeEntityRef(stringifyEntityRef(entity)),
      selectors,
      invalid,
      vpcs,
      unknownVpcs,
    };
  }

  /** The folder to list to find what `selector` names in `vpc`. */
  parentFolder(vpc: VpcConfig, selector: JobSelector): string {
    return [vpc.folder, ...selector.segments.slice(0, -1)]
      .filter(Boolean)
      .join('/');
  }

  /** Whether the entity's annotation picks the job `fullName` of `vpc` (a claim, not yet a right). */
  annotationSelects(
    selection: EntitySelection,
    vpc: VpcConfig,
    fullName: string,
  ): boolean {
    return (
      selection.vpcs.some(v => v.name === vpc.name) &&
      this.isInVpc(vpc, fullName) &&
      selection.selectors.some(selector =>
        selectorPicks(selector, relativeTo(vpc, fullName)),
      )
    );
  }

  /**
   * The entities the operators' bindings give the job `fullName` of `vpc`
   * to (lower-cased refs): one is an owner, several a conflict.
   */
  boundEntities(vpc: VpcConfig, fullName: string): string[] {
    if (!this.isInVpc(vpc, fullName)) return [];
    const relative = relativeTo(vpc, fullName);
    const refs = new Set<string>();
    for (const binding of this.bindings) {
      if (binding.vpcs && !binding.vpcs.includes(vpc.name)) continue;
      if (binding.selectors.some(s => selectorPicks(s, relative))) {
        refs.add(binding.entityRef);
      }
    }
    return [...refs];
  }

  /** Whether the entity's claim on the job counts (see ClaimState). */
  claimOf(
    selection: EntitySelection,
    vpc: VpcConfig,
    fullName: string,
  ): ClaimState {
    if (!this.annotationSelects(selection, vpc, fullName)) return 'none';
    const bound = this.boundEntities(vpc, fullName);
    if (!bound.includes(selection.entityRef)) return 'unconfirmed';
    return bound.length > 1 ? 'conflict' : 'valid';
  }

  /** Whether the entity validly claims the job `fullName` of `vpc`: the only right an entity gives. */
  selects(
    selection: EntitySelection,
    vpc: VpcConfig,
    fullName: string,
  ): boolean {
    return this.claimOf(selection, vpc, fullName) === 'valid';
  }
}

/** The job's path below the VPC's folder, as segments. */
function relativeTo(vpc: VpcConfig, fullName: string): string[] {
  return (vpc.folder ? fullName.slice(vpc.folder.length + 1) : fullName).split(
    '/',
  );
}

/** The selector names the job itself, or the folder directly holding it. */
function selectorPicks(selector: JobSelector, relative: string[]): boolean {
  const n = selector.segments.length;
  if (relative.length !== n && relative.length !== n + 1) return false;
  for (let i = 0; i < n - 1; i++) {
    if (relative[i] !== selector.segments[i]) return false;
  }
  return globMatches(selector.segments[n - 1], relative[n - 1]);
}

/** Entity refs compare case-insensitively in Backstage. @internal */
export function normalizeEntityRef(ref: string): string {
  return ref.toLocaleLowerCase('en-US');
}

/** @internal */
export function parseSelector(raw: string): JobSelector {
  const label = `Invalid job selector '${sanitize(raw)}'`;
  const segments = raw.split('/');
  if (segments.length > MAX_SELECTOR_SEGMENTS) {
    throw new InputError(
      `${label}: ${segments.length} path segments; at most ${MAX_SELECTOR_SEGMENTS}`,
    );
  }
  const last = segments[segments.length - 1];
  const wildcards = last.split('*').length - 1;
  if (wildcards > MAX_SELECTOR_WILDCARDS) {
    throw new InputError(
      `${label}: ${wildcards} '*'; at most ${MAX_SELECTOR_WILDCARDS} in a selector`,
    );
  }
  const tooLong = segments.find(s => s.length > MAX_SELECTOR_SEGMENT_LENGTH);
  if (tooLong !== undefined) {
    throw new InputError(
      `${label}: a path segment is ${tooLong.length} characters long; at most ${MAX_SELECTOR_SEGMENT_LENGTH}`,
    );
  }
  if (segments.length === 1 && /^\*+$/.test(last)) {
    throw new InputError(
      `${label}: a top-level '*' claims nothing; name your service's folder or jobs`,
    );
  }
  segments.forEach((s, i) => checkSegment(s, label, i === segments.length - 1));
  return { raw, segments };
}

function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 200);
}
