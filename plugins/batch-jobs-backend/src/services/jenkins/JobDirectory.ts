import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError, isError } from '@backstage/errors';
import { BATCH_JOBS_VPCS_ANNOTATION } from '@batch-jobs/plugin-batch-jobs-common';
import type {
  BatchJobsJobClaim,
  BatchJobsJobClaims,
  BatchJobsJobLocator,
} from '@batch-jobs/plugin-batch-jobs-node';
import { BatchJobsConfig, VpcConfig } from '../../config';
import {
  ANNOTATION_LOCATOR_ID,
  MAX_ANNOTATION_LENGTH,
  MAX_SELECTORS,
  annotationJobLocator,
  communityAnnotationJobLocator,
} from './jobLocators';

export { MAX_ANNOTATION_LENGTH, MAX_SELECTORS };

/** A job the caller named, checked to live inside a configured VPC. @public */
export interface ResolvedJob {
  vpc: VpcConfig;
  /** Jenkins full name, e.g. `DEV/payments-settlement/migrate-ledger`. */
  fullName: string;
}

/**
 * One claim of an entity in a VPC (an entry of the `batch-jobs.io/jobs`
 * annotation, or what a job locator returned): a path relative to the VPC's
 * folder naming a job or a folder; the last segment may be a `*` glob.
 * @public
 */
export interface JobSelector {
  /** The claim as written, for messages. */
  raw: string;
  segments: string[];
}

/** What an entity claims, per VPC, from every job locator. @internal */
export interface EntitySelection {
  /** The entity's ref, lower-cased (entity refs compare case-insensitively). */
  entityRef: string;
  /** The VPCs the entity's claims apply in, in configuration order. */
  vpcs: VpcConfig[];
  /** Per VPC name: the selectors claimed there. */
  selectorsByVpc: Map<string, JobSelector[]>;
  /** Claims that could not be read, with the reason. */
  invalid: Array<{ raw: string; error: string }>;
  /** VPC names claims apply in that are not configured, with who named them. */
  unknownVpcs: Array<{ name: string; namedBy: string }>;
  /** Everything above as one string: a cache key of the entity's jobs. */
  key: string;
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
/** Most VPC names one claim is read with. */
const MAX_CLAIM_VPCS = 50;
/** Longest reason of a locator's invalid entry shown. */
const MAX_ERROR_LENGTH = 500;

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
  private readonly locators: BatchJobsJobLocator[];

  /**
   * `locators`: those backend modules added (batchJobsJobLocatorsExtensionPoint),
   * after the built-in ones.
   */
  static fromConfig(
    config: BatchJobsConfig,
    options: { locators?: BatchJobsJobLocator[] } = {},
  ) {
    const builtIn = [
      annotationJobLocator,
      ...(config.locators.communityAnnotation
        ? [communityAnnotationJobLocator]
        : []),
    ];
    return new JobDirectory(config, builtIn, options.locators ?? []);
  }

  private constructor(
    private readonly config: Pick<
      BatchJobsConfig,
      'jenkins' | 'vpcs' | 'ownership'
    >,
    /** Each reads an annotation, named by its id. */
    private readonly builtInLocators: BatchJobsJobLocator[],
    private readonly moduleLocators: BatchJobsJobLocator[],
  ) {
    this.vpcs = new Map(config.vpcs.map(v => [v.name, v]));
    this.locators = [...builtInLocators, ...moduleLocators];
    const ids = new Set<string>();
    for (const locator of this.locators) {
      if (ids.has(locator.id)) {
        throw new Error(`Job locator '${locator.id}' is added twice`);
      }
      ids.add(locator.id);
    }
  }

  private get bindings(): OwnershipBinding[] {
    return this.config.ownership;
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

  /**
   * Where claims come from, for messages: "annotation batch-jobs.io/jobs",
   * plus the community annotation and the modules' locators when present.
   */
  claimSources(): string {
    const text = `annotation ${this.builtInLocators
      .map(l => l.id)
      .join(' or ')}`;
    if (this.moduleLocators.length === 0) return text;
    return `${text}, or job locator ${this.moduleLocators
      .map(l => `'${l.id}'`)
      .join(', ')}`;
  }

  /**
   * What every job locator says the entity claims, capped and placed in the
   * configured VPCs; NotFoundError when no locator finds any claim.
   */
  async selectionFor(entity: Entity): Promise<EntitySelection> {
    const located = await Promise.all(
      this.locators.map(async locator => ({
        locator,
        found: await locateSafely(locator, entity),
      })),
    );
    const found = located.filter(
      (l): l is { locator: BatchJobsJobLocator; found: BatchJobsJobClaims } =>
        l.found !== undefined,
    );
    if (found.length === 0) {
      throw new NotFoundError(
        `Entity '${entity.metadata.name}' has no ${this.builtInLocators
          .map(l => `'${l.id}'`)
          .join(' or ')} annotation${
          this.moduleLocators.length > 0
            ? ', and no job locator names jobs for it'
            : ''
        }`,
      );
    }

    const inSelection = new Set<string>();
    const selectorsByVpc = new Map<string, JobSelector[]>();
    const invalid: EntitySelection['invalid'] = [];
    const unknownVpcs: EntitySelection['unknownVpcs'] = [];
    const add = (vpc: VpcConfig, selector: JobSelector) => {
      const list = selectorsByVpc.get(vpc.name) ?? [];
      const key = selector.segments.join('/');
      if (!list.some(s => s.segments.join('/') === key)) list.push(selector);
      selectorsByVpc.set(vpc.name, list);
    };

    for (const { locator, found: claims } of found) {
      for (const bad of (claims.invalid ?? []).slice(0, MAX_SELECTORS)) {
        invalid.push({
          raw: sanitize(String(bad?.raw)),
          error: sanitize(String(bad?.error), MAX_ERROR_LENGTH),
        });
      }
      const list = Array.isArray(claims.claims) ? claims.claims : [];
      if (list.length > MAX_SELECTORS) {
        invalid.push({
          raw: sanitize(describeClaim(list[MAX_SELECTORS])),
          error: `Job locator '${locator.id}' returned ${list.length} claims; at most ${MAX_SELECTORS} are read`,
        });
      }
      for (const claim of list.slice(0, MAX_SELECTORS)) {
        if (claim && typeof (claim as any).selector === 'string') {
          const { selector: raw, vpcs: names } = claim as {
            selector: string;
            vpcs?: unknown;
          };
          const scope = this.claimScope(names, locator, unknownVpcs);
          scope.forEach(vpc => inSelection.add(vpc.name));
          try {
            const selector = parseSelector(raw);
            scope.forEach(vpc => add(vpc, selector));
          } catch (error) {
            invalid.push({ raw: sanitize(raw), error: messageOf(error) });
          }
        } else if (claim && typeof (claim as any).fullName === 'string') {
          const { fullName, jenkins } = claim as {
            fullName: string;
            jenkins?: unknown;
          };
          const raw =
            typeof jenkins === 'string' ? `${jenkins}:${fullName}` : fullName;
          const label = `Invalid job name '${sanitize(raw)}'`;
          try {
            const place = this.placeFullName(
              fullName,
              typeof jenkins === 'string' ? jenkins : undefined,
              label,
            );
            // Shown in its VPCs even when the caps refuse it.
            place.vpcs.forEach(vpc => inSelection.add(vpc.name));
            const { segments } = parseSelector(place.relative, label);
            place.vpcs.forEach(vpc => add(vpc, { raw, segments }));
          } catch (error) {
            invalid.push({ raw: sanitize(raw), error: messageOf(error) });
          }
        } else {
          invalid.push({
            raw: sanitize(describeClaim(claim)),
            error: `Job locator '${locator.id}' returned a claim with neither a selector nor a full name`,
          });
        }
      }
    }

    const vpcs = this.listVpcs().filter(v => inSelection.has(v.name));
    if (vpcs.length === 0 && unknownVpcs.length === 0 && invalid.length > 0) {
      // Nowhere to show why: say it here.
      throw new NotFoundError(
        `Entity '${
          entity.metadata.name
        }' claims no job in a configured VPC: ${invalid
          .slice(0, 3)
          .map(i => `'${i.raw}': ${i.error}`)
          .join('; ')}`,
      );
    }
    const entityRef = normalizeEntityRef(stringifyEntityRef(entity));
    return {
      entityRef,
      vpcs,
      selectorsByVpc,
      invalid,
      unknownVpcs,
      key: JSON.stringify([
        entityRef,
        vpcs.map(v => [
          v.name,
          (selectorsByVpc.get(v.name) ?? []).map(x => x.raw),
        ]),
        invalid,
        unknownVpcs,
      ]),
    };
  }

  /** The configured VPCs a selector claim applies in; unknown names noted. */
  private claimScope(
    names: unknown,
    locator: BatchJobsJobLocator,
    unknown: EntitySelection['unknownVpcs'],
  ): VpcConfig[] {
    if (!Array.isArray(names)) return this.listVpcs();
    const wanted = names
      .slice(0, MAX_CLAIM_VPCS)
      .filter((n): n is string => typeof n === 'string');
    for (const name of wanted) {
      if (
        !this.vpcs.has(name) &&
        !unknown.some(u => u.name === sanitize(name))
      ) {
        unknown.push({
          name: sanitize(name),
          namedBy:
            locator.id === ANNOTATION_LOCATOR_ID
              ? `annotation ${BATCH_JOBS_VPCS_ANNOTATION}`
              : `job locator '${locator.id}'`,
        });
      }
    }
    return this.listVpcs().filter(v => wanted.includes(v.name));
  }

  /**
   * Where a Jenkins full name (a job, or a folder meaning its jobs) is
   * claimed: the VPCs of that Jenkins whose folder holds it, the longest
   * such folder only (a VPC at the root does not take names inside another
   * VPC's folder), and the name relative to that folder.
   */
  private placeFullName(
    fullName: string,
    jenkins: string | undefined,
    label: string,
  ): { vpcs: VpcConfig[]; relative: string } {
    const instance = jenkins ?? this.defaultJenkins(label);
    const known = this.config.jenkins.map(j => j.name);
    if (!known.includes(instance)) {
      throw new InputError(
        `${label}: Jenkins instance '${sanitize(
          instance,
        )}' is not configured; configured: ${known.join(', ')}`,
      );
    }
    if (fullName.includes('*')) {
      throw new InputError(
        `${label}: a full name is taken literally; '*' is not allowed`,
      );
    }
    if (fullName.length > MAX_ANNOTATION_LENGTH) {
      throw new InputError(
        `${label}: ${fullName.length} characters long; at most ${MAX_ANNOTATION_LENGTH}`,
      );
    }
    const vpcs = this.listVpcs().filter(v => v.jenkins === instance);
    const whole = vpcs.find(v => v.folder && v.folder === fullName);
    const holding = vpcs.filter(
      v =>
        !v.folder ||
        (fullName.startsWith(`${v.folder}/`) &&
          fullName.length > v.folder.length + 1),
    );
    const deepest = Math.max(-1, ...holding.map(v => v.folder.length));
    const placed = holding.filter(v => v.folder.length === deepest);
    if (placed.length === 0) {
      throw new InputError(
        whole
          ? `${label}: it is VPC '${whole.name}''s whole folder; name your service's folder or jobs inside it`
          : `${label}: it is in no VPC's folder on Jenkins '${instance}' (${
              vpcs.map(v => `${v.name}: '${v.folder}'`).join(', ') || 'none'
            })`,
      );
    }
    // The placed VPCs share one folder: the longest that holds the name.
    return {
      vpcs: placed,
      relative: deepest > 0 ? fullName.slice(deepest + 1) : fullName,
    };
  }

  /** The Jenkins an unprefixed full name is on, as the community plugin picks it. */
  private defaultJenkins(label: string): string {
    const names = this.config.jenkins.map(j => j.name);
    if (names.includes('default')) return 'default';
    if (names.length === 1) return names[0];
    throw new InputError(
      `${label}: it names no Jenkins instance and several are configured; prefix it with one of ${names.join(
        ', ',
      )} and ':'`,
    );
  }

  /** Every entity an operator's binding names (lower-cased refs): the only ones a claim can count for. */
  boundEntityRefs(): string[] {
    return [...new Set(this.bindings.map(b => b.entityRef))];
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
      this.isInVpc(vpc, fullName) &&
      (selection.selectorsByVpc.get(vpc.name) ?? []).some(selector =>
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

  /**
   * `selects` for one entity and VPC, as a test of full names. Watches keep
   * it for their lifetime, so it is made here, where it holds only these
   * two: a closure made inside a bigger method holds that method's whole
   * scope (its listings, its answer) for as long as it lives.
   */
  selectsIn(
    selection: EntitySelection,
    vpc: VpcConfig,
  ): (fullName: string) => boolean {
    return fullName => this.selects(selection, vpc, fullName);
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
export function parseSelector(
  raw: string,
  label = `Invalid job selector '${sanitize(raw)}'`,
): JobSelector {
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

function sanitize(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  return text.slice(0, max).replace(/[\u0000-\u001f\u007f]/g, '?');
}

function messageOf(error: unknown): string {
  return isError(error) ? error.message : String(error);
}

/** A claim a locator returned, as text for a message. */
function describeClaim(claim: BatchJobsJobClaim | unknown): string {
  if (claim && typeof claim === 'object') {
    const { selector, fullName } = claim as Record<string, unknown>;
    if (typeof selector === 'string') return selector;
    if (typeof fullName === 'string') return fullName;
  }
  return String(JSON.stringify(claim)).slice(0, 200);
}

/** The locator's claims; a locator that throws or answers nonsense shows why instead. */
async function locateSafely(
  locator: BatchJobsJobLocator,
  entity: Entity,
): Promise<BatchJobsJobClaims | undefined> {
  try {
    const found = await locator.locate(entity);
    if (found === undefined || found === null) return undefined;
    if (!Array.isArray(found.claims)) {
      return {
        claims: [],
        invalid: [
          {
            raw: locator.id,
            error: `Job locator '${locator.id}' returned no list of claims`,
          },
        ],
      };
    }
    return found;
  } catch (error) {
    return {
      claims: [],
      invalid: [
        {
          raw: locator.id,
          error: `Job locator '${locator.id}' failed: ${messageOf(error)}`,
        },
      ],
    };
  }
}
